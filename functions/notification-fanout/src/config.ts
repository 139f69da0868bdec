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

// The notification-fanout function's whole configuration, read once from the environment at start.

const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value)

/** `127.0.0.1/32, 10.0.0.0/8`: networks a webhook may reach although they are private. */
const networkList = z.preprocess(
  unsetWhenEmpty,
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be comma-separated IP addresses or CIDR networks'),
      ),
    ),
)

const notificationFanoutConfigSchema = z
  .object({
    /** PostgreSQL; absent: an embedded PGlite, so the folder runs alone. */
    DATABASE_URL: optionalUrl,
    PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
    NOTIFY_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier')
      .default('notifications'),
    /** The `source` of the dev.taskflow.notification.sent events this function emits. */
    NOTIFY_EVENT_SOURCE: z.string().min(1).default('/taskflow/functions/notification-fanout'),
    /** Largest page of the notification list. */
    NOTIFY_PAGE_SIZE: positiveInt(50),
    /** Set by a SinkBinding: where dev.taskflow.notification.sent goes; absent: nothing is emitted. */
    K_SINK: optionalUrl,
    K_CE_OVERRIDES: z.string().optional(),
    WEBHOOK_TIMEOUT_MS: positiveInt(5000),
    WEBHOOK_ALLOWED_NETWORKS: networkList,
    /** smtp(s)://user:pass@host:port; absent: messages are recorded and logged, not sent. */
    SMTP_URL: optionalUrl,
    EMAIL_FROM: z.string().min(3).default('taskflow <notifications@taskflow.dev>'),
    /** How often an open stream's process looks for new notifications. */
    STREAM_POLL_MS: positiveInt(1000),
    /** SSE comment lines keep proxies (and Knative's activator) from closing an idle stream. */
    STREAM_HEARTBEAT_MS: positiveInt(15_000),
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
  .transform((env) => ({ ...env, telemetry: telemetrySettingsOf(env, 'notification-fanout') }))

export type NotificationFanoutConfig = z.output<typeof notificationFanoutConfigSchema>

export function readNotificationFanoutConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): NotificationFanoutConfig {
  return readConfig(notificationFanoutConfigSchema, env)
}
