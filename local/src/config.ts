// Configuration of the local system (`npm start`): one zod schema over the environment, read once.
import { resolve } from 'node:path'
import { z } from 'zod'

const repoRoot = resolve(import.meta.dirname, '../..')

const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback)

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The one base URL: Task API and the functions' read routes. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Set: a real Kafka (e.g. `npm run kafka`); unset: the embedded event log in PGlite/PostgreSQL. */
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ? value
            .split(',')
            .map((broker) => broker.trim())
            .filter(Boolean)
        : [],
    ),
  /** Set: a real PostgreSQL; unset: an embedded PGlite served to every process of the system. */
  DATABASE_URL: z.url().optional(),
  PGLITE_DATA_DIR: z.string().min(1).default(resolve(repoRoot, '.data/pglite')),
  /** Knative Serving's scale-to-zero-grace-period. */
  SCALE_TO_ZERO_GRACE_MS: milliseconds(30_000),
  /** Knative's stable window is 60 s; a shorter one makes local scaling visible sooner. */
  AUTOSCALER_STABLE_WINDOW_MS: milliseconds(10_000),
  /** Fast PingSource ticks for local runs (e.g. 1000): every PingSource ticks at this interval. */
  PING_INTERVAL_MS: z.coerce.number().int().positive().optional(),
  /** Knative's dispatcher commits offsets every 5 s. */
  COMMIT_INTERVAL_MS: milliseconds(5_000),
  STATUS_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Host names the gateway answers to (the Host header, port aside); others get 421, so a web page
   * cannot reach the system through a DNS name rebound to this machine. Loopback names always count.
   */
  ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** Development-mode auth unless the API is given a JWT secret or JWKS URL (see api/src/config.ts). */
  AUTH_JWT_SECRET: z.string().optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  /** production: the Task API and the functions refuse development tokens (and need AUTH_*). */
  NODE_ENV: z.enum(['development', 'test', 'production']).optional(),
})

export interface LocalSystemConfig {
  readonly rootDir: string
  readonly host: string
  readonly port: number
  /** Host names the gateway serves: loopback names, HOST, ALLOWED_HOSTS. */
  readonly allowedHosts: readonly string[]
  readonly kafkaBrokers: readonly string[]
  readonly databaseUrl: string | undefined
  readonly pgliteDataDir: string
  readonly gracePeriodMs: number
  readonly stableWindowMs: number
  readonly pingIntervalMs: number | undefined
  readonly commitIntervalMs: number
  readonly statusIntervalMs: number
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL']
  /** Passed through to the Task API's own config. */
  readonly apiEnv: Readonly<Record<string, string>>
}

export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError'
}

export function readLocalConfig(env: Record<string, string | undefined> = process.env): LocalSystemConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new LocalConfigError(
      `invalid environment:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    )
  }
  const e = parsed.data
  const apiEnv: Record<string, string> = {}
  for (const name of [
    'AUTH_JWT_SECRET',
    'AUTH_JWKS_URL',
    'AUTH_ISSUER',
    'AUTH_AUDIENCE',
    'NODE_ENV',
  ] as const) {
    const value = e[name]
    if (value) apiEnv[name] = value
  }
  const wildcard = e.HOST === '0.0.0.0' || e.HOST === '::'
  return {
    rootDir: repoRoot,
    host: e.HOST,
    allowedHosts: [
      ...new Set([
        'localhost',
        '127.0.0.1',
        '[::1]',
        ...(wildcard ? [] : [e.HOST.toLowerCase()]),
        ...e.ALLOWED_HOSTS,
      ]),
    ],
    port: e.PORT,
    kafkaBrokers: e.KAFKA_BROKERS,
    databaseUrl: e.DATABASE_URL,
    pgliteDataDir: e.PGLITE_DATA_DIR,
    gracePeriodMs: e.SCALE_TO_ZERO_GRACE_MS,
    stableWindowMs: e.AUTOSCALER_STABLE_WINDOW_MS,
    pingIntervalMs: e.PING_INTERVAL_MS,
    commitIntervalMs: e.COMMIT_INTERVAL_MS,
    statusIntervalMs: e.STATUS_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    apiEnv,
  }
}
