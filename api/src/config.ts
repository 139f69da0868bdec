// The Task API's one config module: read once from the environment at start (CONTRIBUTING: nothing
// else reads process.env). Invalid settings fail the start with every problem listed.
import { z } from 'zod'
import type { AuthSettings } from './auth/index.ts'

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
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: optionalString,
    PGLITE_DATA_DIR: optionalString,
    KAFKA_BROKERS: optionalString,
    KAFKA_CLIENT_ID: z.string().default('taskflow-api'),
    TASK_EVENTS_TOPIC: z.string().min(1).default('task-events'),
    EVENT_SOURCE: z.string().min(1).default('/taskflow/api'),
    // The functions whose read routes the API serves (see function-reads.ts); on a cluster their
    // cluster-local URLs, locally their activators.
    AUDIT_LOG_URL: optionalString.pipe(z.url().optional()),
    NOTIFICATIONS_URL: optionalString.pipe(z.url().optional()),
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
    // Lanes one relay may own (1-16): 16/replicas spreads publishing; 16 means one active relay, the others on standby.
    OUTBOX_LANES_PER_RELAY: z.coerce.number().int().min(1).max(16).default(16),
    OUTBOX_RELAY_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
  })
  .superRefine((env, ctx) => {
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
  })

export type ApiConfig = {
  nodeEnv: 'development' | 'test' | 'production'
  port: number
  host: string
  databaseUrl: string | undefined
  pgliteDataDir: string | undefined
  kafkaBrokers: string[]
  kafkaClientId: string
  taskEventsTopic: string
  eventSource: string
  functionReads: { auditLog: string | undefined; notifications: string | undefined }
  auth: AuthSettings
  bodyLimit: string
  logLevel: string
  outbox: { enabled: boolean; pollIntervalMs: number; batchSize: number; lanesPerRelay: number }
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
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    pgliteDataDir: e.PGLITE_DATA_DIR,
    kafkaBrokers: (e.KAFKA_BROKERS ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
    kafkaClientId: e.KAFKA_CLIENT_ID,
    taskEventsTopic: e.TASK_EVENTS_TOPIC,
    eventSource: e.EVENT_SOURCE,
    functionReads: { auditLog: e.AUDIT_LOG_URL, notifications: e.NOTIFICATIONS_URL },
    auth: authSettings(e),
    bodyLimit: e.BODY_LIMIT.toLowerCase(),
    logLevel: e.LOG_LEVEL,
    outbox: {
      enabled: e.OUTBOX_RELAY_ENABLED,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      lanesPerRelay: e.OUTBOX_LANES_PER_RELAY,
    },
  }
}

function authSettings(e: z.infer<typeof envSchema>): AuthSettings {
  const claims = {
    ...(e.AUTH_ISSUER === undefined ? {} : { issuer: e.AUTH_ISSUER }),
    ...(e.AUTH_AUDIENCE === undefined ? {} : { audience: e.AUTH_AUDIENCE }),
  }
  if (e.AUTH_JWT_SECRET !== undefined) return { mode: 'hs256', secret: e.AUTH_JWT_SECRET, ...claims }
  if (e.AUTH_JWKS_URL !== undefined) return { mode: 'jwks', jwksUrl: e.AUTH_JWKS_URL, ...claims }
  return { mode: 'development' }
}
