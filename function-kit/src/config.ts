import { z } from 'zod'

// Config helpers for a function's own `src/config.ts`: each function declares one zod object over the
// environment and reads it once at start. Nothing else in a function reads `process.env`.

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly issues: readonly { readonly variable: string; readonly message: string }[]
  constructor(issues: readonly { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((issue) => `${issue.variable}: ${issue.message}`).join('; ')}`)
    this.issues = issues
  }
}

/** Parses `env` with `schema`; a bad or missing variable throws one ConfigError naming every variable. */
export function readConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Readonly<Record<string, string | undefined>>,
): z.output<Schema> {
  const parsed = schema.safeParse(env)
  if (parsed.success) return parsed.data
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(env)',
      message: issue.message,
    })),
  )
}

// Environment values are strings; an empty string means "not set" (Knative renders unset
// ConfigMap keys as empty values), so optional fields treat '' as absent.
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value)

/** An optional URL, such as DATABASE_URL (absent: the embedded PGlite) or K_SINK (absent: no emitting). */
export const optionalUrl = z.preprocess(unsetWhenEmpty, z.url().optional())

/** A positive whole number with a default, such as a retention in days. */
export function positiveInt(defaultValue: number) {
  return z.preprocess(unsetWhenEmpty, z.coerce.number().int().positive().default(defaultValue))
}

/** The log level faas-js-runtime and pino share. */
export const logLevel = z.preprocess(
  unsetWhenEmpty,
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
)

/** `development` accepts `Bearer dev.<userId>` tokens; `production` only verified JWTs. */
export const authMode = z.preprocess(
  unsetWhenEmpty,
  z.enum(['development', 'production']).default('development'),
)
