import { z } from 'zod'
import {
  authVariables,
  logLevel,
  optionalUrl,
  positiveInt,
  readConfig,
  senderIdentityVariables,
  telemetrySettingsOf,
  telemetryVariables,
  withAuthSettings,
  withSenderIdentity,
} from '#kit'

// The audit-log function's whole configuration, read once from the environment at start.
const auditLogConfigSchema = z
  .object({
    /** PostgreSQL; absent: an embedded PGlite, so the folder runs alone. */
    DATABASE_URL: optionalUrl,
    PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
    AUDIT_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier')
      .default('audit'),
    /** Rows recorded longer ago than this are purged on each PingSource tick. */
    AUDIT_RETENTION_DAYS: positiveInt(90),
    /** Largest page the reads return. */
    AUDIT_PAGE_SIZE: positiveInt(100),
    LOG_LEVEL: logLevel,
    /** OpenTelemetry: an exporter in these variables switches tracing on (`telemetry` after parsing). */
    ...telemetryVariables,
    /** The Task API's token settings (same variables, same rules): `auth` after parsing. */
    ...authVariables,
    /** Who may send it CloudEvents (sender identity): `senders` after parsing. */
    ...senderIdentityVariables,
  })
  .transform(withAuthSettings)
  .transform(withSenderIdentity)
  .transform((env) => ({ ...env, telemetry: telemetrySettingsOf(env, 'audit-log') }))

export type AuditLogConfig = z.output<typeof auditLogConfigSchema>

export function readAuditLogConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AuditLogConfig {
  return readConfig(auditLogConfigSchema, env)
}
