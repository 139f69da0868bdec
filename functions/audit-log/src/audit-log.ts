import {
  answerInvalidCloudEventsWith400,
  createEventGate,
  createTokenVerifier,
  decodeTaskflowEvent,
  done,
  type EventGate,
  type FunctionContext,
  type FunctionResponse,
  functionDatabase,
  isTaskChangeEvent,
  isTransientDatabaseError,
  type Logger,
  type Outcome,
  recordOf,
  respond,
  type TokenVerifier,
  unprocessable,
} from '#kit'
import { auditEntryOf } from './audit-entry.ts'
import { answerAuditRead } from './audit-http.ts'
import {
  appendEntriesStatementText,
  ChainContentionError,
  type ChainVerdict,
  createEntryAppender,
  purgeRecordedBefore,
  verifyChain,
} from './audit-store.ts'
import type { AuditTables } from './audit-tables.ts'
import type { AuditLogConfig } from './config.ts'
import { pingEventType, retentionCutoff, retentionTickSchema } from './retention.ts'

// The audit-log function: opens its database at init, records each task event once, purges on a
// PingSource tick, and answers the reads. src/index.ts only wires this to faas-js-runtime.

export type AuditLogOptions = {
  readonly config: AuditLogConfig
  readonly logger?: Logger
  /** Checks read requests' bearer tokens; defaults to the Task API's verifier for `config.auth`. */
  readonly verifyToken?: TokenVerifier
  /** Used by tests to fix the clock of the retention purge. */
  readonly now?: () => Date
  /** Checks each CloudEvent's sender; defaults to the check `config.senders` describes. */
  readonly eventGate?: EventGate
}

export type AuditLogFunction = {
  init(): Promise<void>
  shutdown(): Promise<void>
  handle(context: FunctionContext, cloudevent?: object): Promise<FunctionResponse>
  /** Recomputes a task's hash chain and reports the first broken link. */
  verifyChain(taskId: string): Promise<ChainVerdict>
}

export const migrationsFolder = new URL('../migrations/', import.meta.url)

export function createAuditLog(options: AuditLogOptions): AuditLogFunction {
  const { config } = options
  const now = options.now ?? (() => new Date())
  const verifyToken = options.verifyToken ?? createTokenVerifier(config.auth)
  const eventGate = options.eventGate ?? createEventGate(config.senders, options.logger)

  const database = functionDatabase<AuditTables>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: config.AUDIT_SCHEMA,
    migrationsFolder,
    applicationName: 'audit-log',
    ...(options.logger ? { logger: options.logger } : {}),
  })
  const tables = database.tables
  const append = createEntryAppender(
    database.statement('audit_append_entries', appendEntriesStatementText(config.AUDIT_SCHEMA)),
  )
  const isTransient = (error: unknown) =>
    error instanceof ChainContentionError || isTransientDatabaseError(error)

  async function onEvent(cloudevent: object): Promise<Outcome> {
    const record = recordOf(cloudevent)
    if (record.type === pingEventType) return purge(record.data)
    const decoded = decodeTaskflowEvent(cloudevent)
    if (!decoded.ok) return decoded.outcome
    const event = decoded.event
    // Reminders and notifications share the topic; they are not task changes and have no row.
    if (!isTaskChangeEvent(event)) return done()
    const { content, readers } = auditEntryOf(event)
    const result = await append(content, readers)
    return result.duplicate ? done() : done({ recorded: event.id, seq: result.seq })
  }

  async function purge(data: unknown): Promise<Outcome> {
    const tick = retentionTickSchema.safeParse(data)
    if (!tick.success) return unprocessable('a ping to the audit log must carry {"action":"purge"}')
    const cutoff = retentionCutoff(now(), config.AUDIT_RETENTION_DAYS)
    const purged = await purgeRecordedBefore(tables(), config.AUDIT_SCHEMA, cutoff)
    options.logger?.info({ purged, cutoff }, 'audit retention purge')
    return done({ purged, cutoff: cutoff.toISOString() })
  }

  return {
    async init() {
      answerInvalidCloudEventsWith400(options.logger)
      await database.open()
    },
    async shutdown() {
      await database.close()
    },
    verifyChain(taskId) {
      return verifyChain(tables(), taskId)
    },
    handle(context, cloudevent) {
      if (cloudevent)
        return eventGate(context, () => respond(context, () => onEvent(cloudevent), isTransient))
      return answerAuditRead(context, { db: tables(), verifyToken, pageSize: config.AUDIT_PAGE_SIZE }).catch(
        (error) => respond(context, () => Promise.reject(error), isTransientDatabaseError),
      )
    },
  }
}
