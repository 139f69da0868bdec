import { z } from 'zod'
import {
  authVariables,
  logLevel,
  nonNegativeInt,
  optionalUrl,
  parseSinkOverrides,
  positiveInt,
  readConfig,
  senderIdentityVariables,
  telemetrySettingsOf,
  telemetryVariables,
  withAuthSettings,
  withSenderIdentity,
} from '#kit'

// Environment values are strings and Knative renders unset ConfigMap keys as '': treat it as absent.
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value)

// The reminders function's whole configuration, read once from the environment at start.
const remindersConfigSchema = z
  .object({
    /** PostgreSQL; absent: an embedded PGlite, so the folder runs alone. */
    DATABASE_URL: optionalUrl,
    PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
    REMINDERS_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier')
      .default('reminders'),
    /**
     * Injected by the `reminders` SinkBinding. Absent: task events are still scheduled, but every tick
     * is refused with 503, because a reminder must not be marked fired when it went nowhere.
     */
    K_SINK: optionalUrl,
    /** Injected by a SinkBinding with ceOverrides: extensions set on every emitted event. */
    K_CE_OVERRIDES: z.preprocess(unsetWhenEmpty, z.string().optional()).transform((raw, context) => {
      try {
        return parseSinkOverrides(raw)
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) })
        return z.NEVER
      }
    }),
    /** Reminders one claim takes; a tick claims batch after batch until nothing due is left. */
    REMINDERS_BATCH_SIZE: positiveInt(100),
    /** How long a tick's claim holds: longer than emitting one batch, so only a crashed tick's lapses. */
    REMINDERS_CLAIM_SECONDS: positiveInt(120),
    /**
     * A tick fires the reminders due up to this many seconds after it, so with a PingSource every
     * minute each reminder fires within 30 s of its time, either side, instead of up to a minute late.
     */
    REMINDERS_LEAD_SECONDS: nonNegativeInt(30),
    /** Milliseconds to wait for the sink's answer to one reminder. */
    REMINDERS_SINK_TIMEOUT_MS: positiveInt(10_000),
    LOG_LEVEL: logLevel,
    /** OpenTelemetry: an exporter in these variables switches tracing on (`telemetry` after parsing). */
    ...telemetryVariables,
    /** The Task API's token settings (same variables, same rules) for the read: `auth` after parsing. */
    ...authVariables,
    /** Who may send it CloudEvents (sender identity): `senders` after parsing. */
    ...senderIdentityVariables,
  })
  .transform(withAuthSettings)
  .transform(withSenderIdentity)
  .transform((env) => ({ ...env, telemetry: telemetrySettingsOf(env, 'reminders') }))

export type RemindersConfig = z.output<typeof remindersConfigSchema>

export function readRemindersConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RemindersConfig {
  return readConfig(remindersConfigSchema, env)
}
