// What pino must never print, for every logger of the project (the Task API, the local system, and the
// functions through function-kit, which bundles this folder). Nothing logs these fields today (the
// tests/integration/security log test proves no secret reaches a log); this is the guard against a
// future `log.info({ headers })` or `log.debug({ config })`. Paths are pino's (fast-redact): each key
// at the top level and one or two levels down, so `req.headers.authorization` and
// `preferences.webhook.secret` are covered as well as a bare `authorization`.
import type { LoggerOptions } from 'pino'

/** Keys whose values are credentials wherever they appear in a logged object. */
export const credentialKeys = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'AUTH_JWT_SECRET',
  'DATABASE_URL',
  'SMTP_URL',
  'KAFKA_SASL_PASSWORD',
] as const

export const logRedaction: NonNullable<LoggerOptions['redact']> = {
  paths: credentialKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  censor: '[redacted]',
}
