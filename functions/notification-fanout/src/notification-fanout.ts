import {
  answerInvalidCloudEventsWith400,
  createEventGate,
  createSinkEmitter,
  createTokenVerifier,
  decodeTaskflowEvent,
  type EventGate,
  type FunctionContext,
  type FunctionResponse,
  functionDatabase,
  isTransientDatabaseError,
  type Logger,
  parseSinkOverrides,
  respond,
  type SinkEmitter,
  type TokenVerifier,
} from '#kit'
import type { NotificationFanoutConfig } from './config.ts'
import { createEmailSender, type EmailSender } from './email-channel.ts'
import { fanOut } from './fanout.ts'
import { createFanoutStatements } from './fanout-statements.ts'
import { answerUserRequest, isUserRequest } from './notification-http.ts'
import { createNotificationStreamHub, type NotificationStreamHub } from './notification-stream.ts'
import type { NotificationTables } from './notification-tables.ts'
import { createWebhookSender, type WebhookSender } from './webhook-channel.ts'
import { addressPolicy } from './webhook-target-guard.ts'

// The notification-fanout function: opens its database at init, fans each event out to its
// recipients' channels, and answers the signed-in user's reads, writes and live stream.
// src/index.ts only wires this to faas-js-runtime.

export type NotificationFanoutOptions = {
  readonly config: NotificationFanoutConfig
  readonly logger?: Logger
  /** Checks bearer tokens; defaults to the Task API's verifier for `config.auth`. */
  readonly verifyToken?: TokenVerifier
  /** Used by tests to fix the clock that quiet hours are judged by. */
  readonly now?: () => Date
  /** Checks each CloudEvent's sender; defaults to the check `config.senders` describes. */
  readonly eventGate?: EventGate
}

export type NotificationFanoutFunction = {
  init(): Promise<void>
  shutdown(): Promise<void>
  /** faas-js-runtime passes the CloudEvent, or for plain HTTP the request body, as the second argument. */
  handle(context: FunctionContext, cloudeventOrBody?: unknown): Promise<FunctionResponse>
  /** Emails built by the recording transport (no SMTP_URL): for development and tests. */
  readonly recordedEmails: EmailSender['recorded']
  /** Open SSE streams of this process. */
  readonly openStreams: number
}

export const migrationsFolder = new URL('../migrations/', import.meta.url)

export function createNotificationFanout(options: NotificationFanoutOptions): NotificationFanoutFunction {
  const { config } = options
  const now = options.now ?? (() => new Date())
  const verifyToken = options.verifyToken ?? createTokenVerifier(config.auth)
  const eventGate = options.eventGate ?? createEventGate(config.senders, options.logger)
  const email = createEmailSender({
    smtpUrl: config.SMTP_URL,
    from: config.EMAIL_FROM,
    ...(options.logger ? { log: options.logger } : {}),
  })
  let webhook: WebhookSender | undefined
  let sink: SinkEmitter | undefined

  const database = functionDatabase<NotificationTables>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: config.NOTIFY_SCHEMA,
    migrationsFolder,
    applicationName: 'notification-fanout',
    ...(options.logger ? { logger: options.logger } : {}),
  })
  const tables = database.tables
  const statements = createFanoutStatements(config.NOTIFY_SCHEMA, database.statement)

  const streams: NotificationStreamHub = createNotificationStreamHub({
    db: tables,
    pollMs: config.STREAM_POLL_MS,
    heartbeatMs: config.STREAM_HEARTBEAT_MS,
    ...(options.logger ? { log: options.logger } : {}),
  })

  return {
    get recordedEmails() {
      return email.recorded
    },
    get openStreams() {
      return streams.size
    },
    async init() {
      answerInvalidCloudEventsWith400(options.logger)
      webhook = createWebhookSender({
        policy: addressPolicy(config.WEBHOOK_ALLOWED_NETWORKS),
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        now,
      })
      sink =
        config.K_SINK === undefined
          ? undefined
          : createSinkEmitter({
              url: config.K_SINK,
              overrides: parseSinkOverrides(config.K_CE_OVERRIDES),
              tokenFile: config.EVENTS_SINK_TOKEN_FILE,
            })
      await database.open()
    },
    async shutdown() {
      await streams.close()
      await webhook?.close()
      email.close()
      await database.close()
    },
    handle(context, cloudeventOrBody) {
      if (isUserRequest(context)) {
        return answerUserRequest(context, cloudeventOrBody, {
          db: tables(),
          verifyToken,
          pageSize: config.NOTIFY_PAGE_SIZE,
          streams,
        }).catch((error) => respond(context, () => Promise.reject(error), isTransientDatabaseError))
      }
      return eventGate(context, () =>
        respond(
          context,
          async () => {
            const decoded = decodeTaskflowEvent((cloudeventOrBody ?? {}) as object)
            if (!decoded.ok) return decoded.outcome
            return fanOut(
              {
                db: tables(),
                statements,
                webhook: webhook!,
                email,
                sink,
                eventSource: config.NOTIFY_EVENT_SOURCE,
                now,
                // Longer than a webhook can take, so a live attempt is never taken over.
                leaseMs: config.WEBHOOK_TIMEOUT_MS * 3,
              },
              decoded.event,
            )
          },
          isTransientDatabaseError,
        ),
      )
    },
  }
}
