// Configuration of the local system (`npm start`): one zod schema over the environment and the flags,
// read once. `--overlay <name>` runs the settings a cluster gets from manifests/overlays/<name>.
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { KustomizeError } from '../../sources/src/kustomize.ts'
import { ManifestError, type SystemManifests } from '../../sources/src/manifests.ts'
import { defaultCommitIntervalMs } from './eventlog/defaults.ts'
import { OverlaySettingsError, readOverlaySettings, unreachableHost } from './overlay-settings.ts'
import { knativeKpaDefaults } from './serving/kpa.ts'

const repoRoot = resolve(import.meta.dirname, '../..')

const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback)

const logLevels = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

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
  SCALE_TO_ZERO_GRACE_MS: milliseconds(knativeKpaDefaults.scaleToZeroGracePeriodMs),
  /** Knative's stable window is 60 s; a shorter one makes local scaling visible sooner. */
  AUTOSCALER_STABLE_WINDOW_MS: milliseconds(10_000),
  /** Fast PingSource ticks for local runs (e.g. 1000): every PingSource ticks at this interval. */
  PING_INTERVAL_MS: z.coerce.number().int().positive().optional(),
  /** Knative's dispatcher commits offsets every 5 s. */
  COMMIT_INTERVAL_MS: milliseconds(defaultCommitIntervalMs),
  STATUS_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000),
  /** Default info, or the overlay's. */
  LOG_LEVEL: logLevels.optional(),
  /** Unset: readable lines on a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
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
  readonly logLevel: z.infer<typeof logLevels>
  /** LOG_FORMAT; undefined: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'json' | 'pretty' | undefined
  /** Passed through to the Task API's own config (and the functions'). */
  readonly apiEnv: Readonly<Record<string, string>>
  /** `--overlay`: the manifests and settings come from manifests/overlays/<overlay> as rendered. */
  readonly overlay: string | undefined
  /** Overlay settings left out locally (its collector endpoints), reported at start. */
  readonly skippedSettings: readonly string[]
  /** The overlay's manifests as rendered for its settings: the system reads them, not a second rendering. */
  readonly overlayManifests: SystemManifests | undefined
}

export const usage = `usage: npm start [-- --overlay <name>]
  --overlay <name>  run with the manifests and settings of manifests/overlays/<name> as a cluster gets
                    them (kubectl kustomize renders it), e.g. dev; environment variables still win
  --help            this text
settings: environment variables, README "Running it locally"`

export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError'
}

function readFlags(argv: readonly string[]): { overlay: string | undefined } {
  let values: { overlay?: string | undefined }
  try {
    ;({ values } = parseArgs({ args: [...argv], strict: true, options: { overlay: { type: 'string' } } }))
  } catch (error) {
    throw new LocalConfigError(`${(error as Error).message}\n\n${usage}`)
  }
  const overlay = values.overlay
  if (overlay === undefined) return { overlay }
  const overlaysDir = join(repoRoot, 'manifests', 'overlays')
  if (!/^[\w-]+$/.test(overlay) || !existsSync(join(overlaysDir, overlay, 'kustomization.yaml'))) {
    const known = readdirSync(overlaysDir).filter((name) =>
      existsSync(join(overlaysDir, name, 'kustomization.yaml')),
    )
    throw new LocalConfigError(
      `--overlay ${overlay}: no such overlay; manifests/overlays has ${known.join(', ')}`,
    )
  }
  return { overlay }
}

const authSettings = ['AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const

/** The overlay's settings under the environment's: any AUTH_* of the environment replaces all of the overlay's. */
function overlayEnv(overlay: string, env: Record<string, string | undefined>) {
  let settings: ReturnType<typeof readOverlaySettings>
  try {
    settings = readOverlaySettings(repoRoot, overlay)
  } catch (error) {
    if (
      error instanceof KustomizeError ||
      error instanceof ManifestError ||
      error instanceof OverlaySettingsError
    ) {
      throw new LocalConfigError(`--overlay ${overlay}: ${error.message}`)
    }
    throw error
  }
  const fromOverlay: Record<string, string> = { ...settings.env }
  if (authSettings.some((name) => env[name])) for (const name of authSettings) delete fromOverlay[name]
  const jwks = fromOverlay.AUTH_JWKS_URL
  if (jwks !== undefined && unreachableHost(jwks)) {
    throw new LocalConfigError(
      `--overlay ${overlay}: its AUTH_JWKS_URL ${jwks} is a placeholder or a cluster address this machine ` +
        `cannot reach, so no token would verify. Set AUTH_JWKS_URL (with AUTH_ISSUER, AUTH_AUDIENCE) or ` +
        `AUTH_JWT_SECRET in the environment to run this overlay here.`,
    )
  }
  return { values: fromOverlay, skipped: settings.skippedTelemetry, manifests: settings.manifests }
}

export function readLocalConfig(
  env: Record<string, string | undefined> = process.env,
  argv: readonly string[] = [],
): LocalSystemConfig {
  const { overlay } = readFlags(argv)
  const fromOverlay =
    overlay === undefined ? { values: {}, skipped: [], manifests: undefined } : overlayEnv(overlay, env)
  const parsed = envSchema.safeParse({ ...fromOverlay.values, ...definedOnly(env) })
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
    logLevel: e.LOG_LEVEL ?? 'info',
    logFormat: e.LOG_FORMAT,
    apiEnv,
    overlay,
    skippedSettings: fromOverlay.skipped,
    overlayManifests: fromOverlay.manifests,
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  )
}
