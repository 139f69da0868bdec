// The Task API's one config module: read once from the environment at start (CONTRIBUTING: nothing
// else reads process.env). Invalid settings fail the start with every problem listed.
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { type KafkaSasl, type KafkaTls, kafkaSaslMechanisms } from '../../kafka/src/index.ts'
import type { AuthSettings } from './auth/index.ts'
import { type TelemetrySettings, telemetrySettingsOf, telemetryVariables } from './telemetry/index.ts'

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional()

// Not trimmed: a password may begin or end with a space. Issues name the variable, never the value.
const optionalSecret = z
  .string()
  .transform((value) => (value === '' ? undefined : value))
  .optional()

/**
 * The PEM certificates of KAFKA_CA_FILE, read once at start: a missing or unreadable file is a config
 * error naming the path now, rather than a TLS failure on every relay attempt later.
 */
const caFile = optionalString.transform((path, ctx) => {
  if (path === undefined) return undefined
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${reason})` })
    return z.NEVER
  }
  const certificates = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  if (certificates.length === 0) {
    ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate (BEGIN CERTIFICATE)` })
    return z.NEVER
  }
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem)
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `certificate ${index + 1} of ${path} does not parse (${(error as Error).message})`,
      })
      return z.NEVER
    }
  }
  return { path, certificates }
})

const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)$/i, 'a size like 100kb or 1mb')
  .default('100kb')

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    // Unset: every interface when tokens are verified (a container), loopback with development tokens,
    // which anyone who can reach the port could forge.
    HOST: optionalString,
    DATABASE_URL: optionalString,
    PGLITE_DATA_DIR: optionalString,
    // false behind a pooler that cannot keep prepared statements per client (PgBouncer in transaction
    // mode before 1.21, or without max_prepared_statements).
    DATABASE_PREPARED_STATEMENTS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
    KAFKA_BROKERS: optionalString,
    KAFKA_CLIENT_ID: z.string().default('taskflow-api'),
    // The Strimzi cluster's listener: TLS + SCRAM-SHA-512 (manifests/base/task-api.yaml).
    KAFKA_SASL_MECHANISM: optionalString.pipe(z.enum(kafkaSaslMechanisms).optional()),
    KAFKA_SASL_USERNAME: optionalString,
    KAFKA_SASL_PASSWORD: optionalSecret,
    KAFKA_CA_FILE: caFile,
    KAFKA_TLS: optionalString.pipe(z.enum(['true', 'false']).optional()),
    TASK_EVENTS_TOPIC: z.string().min(1).default('task-events'),
    EVENT_SOURCE: z.string().min(1).default('/taskflow/api'),
    // The functions whose read routes the API serves (see function-reads.ts); on a cluster their
    // cluster-local URLs, locally their activators.
    AUDIT_LOG_URL: optionalString.pipe(z.url().optional()),
    NOTIFICATIONS_URL: optionalString.pipe(z.url().optional()),
    // Open notification streams per user and per replica (429 beyond), and a read's whole time.
    NOTIFICATION_STREAMS_PER_USER: z.coerce.number().int().min(1).default(5),
    NOTIFICATION_STREAMS_MAX: z.coerce.number().int().min(1).default(1000),
    FUNCTION_READ_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    AUTH_JWT_SECRET: optionalString.pipe(
      z.string().min(32, 'an HS256 secret needs at least 32 bytes').optional(),
    ),
    AUTH_JWKS_URL: optionalString.pipe(z.url().optional()),
    AUTH_ISSUER: optionalString,
    AUTH_AUDIENCE: optionalString,
    BODY_LIMIT: byteSize,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
    OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
    // How long a relay round waits for more commits before it reads (0: not at all); see outbox-relay.ts.
    OUTBOX_RELAY_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
    // Lanes one relay may own (1-16): 16/replicas spreads publishing; 16 means one active relay, the others on standby.
    OUTBOX_LANES_PER_RELAY: z.coerce.number().int().min(1).max(16).default(16),
    OUTBOX_RELAY_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
    // worker: the relay on a thread of its own (PostgreSQL only; embedded PGlite keeps it inline): a
    // faster 201 -> Kafka for a replica with a spare CPU, fewer requests/s on a crowded one (bench/README).
    OUTBOX_RELAY_THREAD: z.enum(['worker', 'inline']).default('inline'),
    // OpenTelemetry (telemetry.ts): the variables that decide whether the SDK starts.
    ...telemetryVariables,
  })
  // `when`: also run when a field failed (zod skips refinements then). These checks look only at which
  // variables are set, so a missing CA file and a half-configured login are reported together.
  .superRefine(
    (env, ctx) => {
      for (const issue of kafkaSecurityIssues(env)) ctx.addIssue({ code: 'custom', ...issue })
      if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWKS_URL !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH_JWKS_URL'],
          message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both',
        })
      }
      if (
        env.NODE_ENV === 'production' &&
        env.AUTH_JWT_SECRET === undefined &&
        env.AUTH_JWKS_URL === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH_JWT_SECRET'],
          message: 'production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (development tokens are refused)',
        })
      }
    },
    { when: () => true },
  )

type Env = z.infer<typeof envSchema>

function kafkaSecurityIssues(
  env: Pick<
    Env,
    'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD' | 'KAFKA_CA_FILE' | 'KAFKA_TLS'
  >,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = []
  const credentials = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const
  for (const name of credentials) {
    if (env.KAFKA_SASL_MECHANISM !== undefined && env[name] === undefined)
      issues.push({ path: [name], message: `required with KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM}` })
    if (env.KAFKA_SASL_MECHANISM === undefined && env[name] !== undefined)
      issues.push({ path: [name], message: 'set without KAFKA_SASL_MECHANISM (scram-sha-512 for Strimzi)' })
  }
  if (env.KAFKA_TLS === 'false' && env.KAFKA_CA_FILE !== undefined)
    issues.push({
      path: ['KAFKA_TLS'],
      message: 'false, but KAFKA_CA_FILE is set (a CA is used over TLS only)',
    })
  const tls = env.KAFKA_TLS === 'true' || env.KAFKA_CA_FILE !== undefined
  if (env.KAFKA_SASL_MECHANISM === 'plain' && !tls)
    issues.push({
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'plain sends the password in clear text: needs TLS (KAFKA_CA_FILE or KAFKA_TLS=true)',
    })
  return issues
}

/** Every variable this module reads: a manifest setting anything else for the Task API sets it in vain. */
export const apiEnvironmentVariables: readonly string[] = Object.keys(envSchema.shape)

export type ApiConfig = {
  nodeEnv: 'development' | 'test' | 'production'
  port: number
  host: string
  databaseUrl: string | undefined
  pgliteDataDir: string | undefined
  /** Named prepared statements for the hot writes (db/src: never on PGlite). */
  preparedStatements: boolean
  kafkaBrokers: string[]
  kafkaClientId: string
  /** SASL login to the brokers; undefined: none (a local PLAINTEXT broker). */
  kafkaSasl: KafkaSasl | undefined
  /** TLS to the brokers; undefined: plain TCP. */
  kafkaTls: KafkaTls | undefined
  taskEventsTopic: string
  eventSource: string
  functionReads: {
    auditLog: string | undefined
    notifications: string | undefined
    streamsPerUser: number
    streamsMax: number
    timeoutMs: number
  }
  auth: AuthSettings
  bodyLimit: string
  logLevel: string
  outbox: {
    enabled: boolean
    pollIntervalMs: number
    batchSize: number
    lingerMs: number
    lanesPerRelay: number
    thread: 'worker' | 'inline'
  }
  telemetry: TelemetrySettings
}

export class ConfigError extends Error {
  readonly issues: string[]
  constructor(issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  const e = parsed.data
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host:
      e.HOST ?? (e.AUTH_JWT_SECRET === undefined && e.AUTH_JWKS_URL === undefined ? '127.0.0.1' : '0.0.0.0'),
    databaseUrl: e.DATABASE_URL,
    pgliteDataDir: e.PGLITE_DATA_DIR,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    kafkaBrokers: (e.KAFKA_BROKERS ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
    kafkaClientId: e.KAFKA_CLIENT_ID,
    kafkaSasl: kafkaSasl(e),
    kafkaTls: kafkaTls(e),
    taskEventsTopic: e.TASK_EVENTS_TOPIC,
    eventSource: e.EVENT_SOURCE,
    functionReads: {
      auditLog: e.AUDIT_LOG_URL,
      notifications: e.NOTIFICATIONS_URL,
      streamsPerUser: e.NOTIFICATION_STREAMS_PER_USER,
      streamsMax: e.NOTIFICATION_STREAMS_MAX,
      timeoutMs: e.FUNCTION_READ_TIMEOUT_MS,
    },
    auth: authSettings(e),
    bodyLimit: e.BODY_LIMIT.toLowerCase(),
    logLevel: e.LOG_LEVEL,
    outbox: {
      enabled: e.OUTBOX_RELAY_ENABLED,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      lingerMs: e.OUTBOX_RELAY_LINGER_MS,
      lanesPerRelay: e.OUTBOX_LANES_PER_RELAY,
      thread: e.OUTBOX_RELAY_THREAD,
    },
    telemetry: telemetrySettingsOf(e, 'taskflow-api'),
  }
}

function kafkaSasl(e: Env): KafkaSasl | undefined {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = e
  // All three or none: kafkaSecurityIssues refused anything in between.
  if (mechanism === undefined || username === undefined || password === undefined) return undefined
  return { mechanism, username, password }
}

function kafkaTls(e: Env): KafkaTls | undefined {
  if (e.KAFKA_CA_FILE !== undefined) return { ca: e.KAFKA_CA_FILE.certificates }
  return e.KAFKA_TLS === 'true' ? {} : undefined
}

function authSettings(e: Env): AuthSettings {
  const claims = {
    ...(e.AUTH_ISSUER === undefined ? {} : { issuer: e.AUTH_ISSUER }),
    ...(e.AUTH_AUDIENCE === undefined ? {} : { audience: e.AUTH_AUDIENCE }),
  }
  if (e.AUTH_JWT_SECRET !== undefined) return { mode: 'hs256', secret: e.AUTH_JWT_SECRET, ...claims }
  if (e.AUTH_JWKS_URL !== undefined) return { mode: 'jwks', jwksUrl: e.AUTH_JWKS_URL, ...claims }
  return { mode: 'development' }
}
