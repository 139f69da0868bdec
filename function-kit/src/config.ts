import { z } from 'zod'
import {
  type AuthSettings,
  type AuthVariables,
  authIssues,
  authSettingsOf,
} from '../../platform/src/auth/index.ts'
import { trimmedOrUnset, unsetWhenEmpty } from '../../platform/src/env.ts'
import type { SenderIdentitySettings } from './event-sender.ts'

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

/** An optional URL, such as DATABASE_URL (absent: the embedded PGlite) or K_SINK (absent: no emitting). */
export const optionalUrl = z.preprocess(unsetWhenEmpty, z.url().optional())

/** A positive whole number with a default, such as a retention in days. */
export function positiveInt(defaultValue: number) {
  return z.preprocess(unsetWhenEmpty, z.coerce.number().int().positive().default(defaultValue))
}

/** A whole number, zero or more, with a default, such as a lead time that may be off. */
export function nonNegativeInt(defaultValue: number) {
  return z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).default(defaultValue))
}

/** The log level faas-js-runtime and pino share. */
export const logLevel = z.preprocess(
  unsetWhenEmpty,
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
)

/** Adds `auth` (the verifier's settings) to a parsed env, or reports the variables that conflict. */
export function withAuthSettings<Env extends AuthVariables>(
  env: Env,
  context: z.RefinementCtx,
): Env & { readonly auth: AuthSettings } {
  const issues = authIssues(env)
  if (issues.length > 0) {
    for (const issue of issues) context.addIssue({ code: 'custom', ...issue })
    return z.NEVER
  }
  return { ...env, auth: authSettingsOf(env) }
}

const commaList = z.preprocess(
  trimmedOrUnset,
  z
    .string()
    .transform((raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    )
    .optional(),
)

/**
 * Spread into a function's env schema, then `.transform(withSenderIdentity)`: who may send it events.
 * EVENTS_OIDC_ISSUER and EVENTS_OIDC_JWKS_URL (the cluster's ServiceAccount issuer), EVENTS_AUDIENCE
 * (what its sources' `sink.audience` says) and EVENTS_ALLOWED_SENDERS (their subjects, from sources/).
 * None set: no check, which NODE_ENV=production refuses unless EVENTS_SENDER_AUTH=disabled says so.
 */
export const senderIdentityVariables = {
  EVENTS_SENDER_AUTH: z.preprocess(trimmedOrUnset, z.enum(['oidc', 'disabled']).optional()),
  EVENTS_OIDC_ISSUER: z.preprocess(trimmedOrUnset, z.string().optional()),
  EVENTS_OIDC_JWKS_URL: z.preprocess(trimmedOrUnset, z.url().optional()),
  EVENTS_OIDC_JWKS_BEARER_FILE: z.preprocess(trimmedOrUnset, z.string().optional()),
  EVENTS_OIDC_JWKS_CA_FILE: z.preprocess(trimmedOrUnset, z.string().optional()),
  EVENTS_AUDIENCE: z.preprocess(trimmedOrUnset, z.string().optional()),
  EVENTS_ALLOWED_SENDERS: commaList,
  /** Where a SinkBinding mounts this function's token for its sink (only functions that emit). */
  EVENTS_SINK_TOKEN_FILE: z.preprocess(trimmedOrUnset, z.string().default('/oidc/token')),
}

type SenderIdentityVariables = z.output<z.ZodObject<typeof senderIdentityVariables>> & {
  NODE_ENV?: string
}

/** Adds `senders` (the sender check's settings) to a parsed env, or reports what is missing. */
export function withSenderIdentity<Env extends SenderIdentityVariables>(
  env: Env,
  context: z.RefinementCtx,
): Env & { readonly senders: SenderIdentitySettings } {
  const mode =
    env.EVENTS_SENDER_AUTH ??
    (env.EVENTS_OIDC_ISSUER !== undefined || env.NODE_ENV === 'production' ? 'oidc' : 'disabled')
  if (mode === 'disabled') return { ...env, senders: { mode: 'disabled' } }
  const required = [
    'EVENTS_OIDC_ISSUER',
    'EVENTS_OIDC_JWKS_URL',
    'EVENTS_AUDIENCE',
    'EVENTS_ALLOWED_SENDERS',
  ] as const
  const missing = required.filter((name) => env[name] === undefined || env[name]?.length === 0)
  for (const name of missing) {
    context.addIssue({
      code: 'custom',
      path: [name],
      message: `sender identity needs ${name} (or EVENTS_SENDER_AUTH=disabled to accept events from anyone)`,
    })
  }
  if (missing.length > 0) return z.NEVER
  return {
    ...env,
    senders: {
      mode: 'oidc',
      issuer: env.EVENTS_OIDC_ISSUER!,
      jwksUrl: env.EVENTS_OIDC_JWKS_URL!,
      audience: env.EVENTS_AUDIENCE!,
      allowedSubjects: env.EVENTS_ALLOWED_SENDERS!,
      jwksTokenFile: env.EVENTS_OIDC_JWKS_BEARER_FILE,
      jwksCaFile: env.EVENTS_OIDC_JWKS_CA_FILE,
    },
  }
}
