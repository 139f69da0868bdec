// The Task API's one config module: read once from the environment at start (CONTRIBUTING: nothing
// else reads process.env). Invalid settings fail the start with every problem listed.
import { z } from 'zod'
import {
  type AuthSettings,
  authIssues,
  authSettingsOf,
  authVariables,
} from '../../platform/src/auth/index.ts'
import { ConfigError } from '../../platform/src/env.ts'
import {
  type KafkaConnection,
  kafkaConnectionOf,
  kafkaSecurityIssues,
  kafkaVariables,
} from '../../platform/src/kafka-settings.ts'
import {
  type TelemetrySettings,
  telemetrySettingsOf,
  telemetryVariables,
} from '../../platform/src/telemetry/index.ts'

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional()

const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)$/i, 'a size like 100kb or 1mb')
  .default('100kb')

const envSchema = z
  .object({
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
    // KAFKA_BROKERS, the SASL login and TLS (platform/src/kafka-settings.ts).
    ...kafkaVariables,
    KAFKA_CLIENT_ID: z.string().default('taskflow-api'),
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
    // NODE_ENV and AUTH_*: the rules every token verifier shares (platform/src/auth/settings.ts).
    ...authVariables,
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
      for (const issue of [...kafkaSecurityIssues(env), ...authIssues(env)])
        ctx.addIssue({ code: 'custom', ...issue })
    },
    { when: () => true },
  )

type Env = z.infer<typeof envSchema>

/** Every variable this module reads: a manifest setting anything else for the Task API sets it in vain. */
export const apiEnvironmentVariables: readonly string[] = Object.keys(envSchema.shape)

export type ApiConfig = KafkaConnection & {
  nodeEnv: 'development' | 'test' | 'production'
  port: number
  host: string
  databaseUrl: string | undefined
  pgliteDataDir: string | undefined
  /** Named prepared statements for the hot writes (db/src: never on PGlite). */
  preparedStatements: boolean
  kafkaClientId: string
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

export { ConfigError }

export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw ConfigError.of(parsed.error)
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
    ...kafkaConnectionOf(e),
    kafkaClientId: e.KAFKA_CLIENT_ID,
    taskEventsTopic: e.TASK_EVENTS_TOPIC,
    eventSource: e.EVENT_SOURCE,
    functionReads: {
      auditLog: e.AUDIT_LOG_URL,
      notifications: e.NOTIFICATIONS_URL,
      streamsPerUser: e.NOTIFICATION_STREAMS_PER_USER,
      streamsMax: e.NOTIFICATION_STREAMS_MAX,
      timeoutMs: e.FUNCTION_READ_TIMEOUT_MS,
    },
    auth: authSettingsOf(e),
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
