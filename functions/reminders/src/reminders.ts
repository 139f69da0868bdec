import {
  answerInvalidCloudEventsWith400,
  createEventGate,
  createSinkEmitter,
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
  type SinkEmitter,
  type TokenVerifier,
  unavailable,
  unprocessable,
} from '#kit'
import type { RemindersConfig } from './config.ts'
import { answerReminderRead } from './reminder-http.ts'
import { reminderScheduleOf } from './reminder-schedule.ts'
import type { ReminderTables } from './reminder-tables.ts'
import { fireDueReminders, pingEventType, reminderTickSchema } from './reminder-tick.ts'
import { applySchedulesOnceText, createScheduleApplier } from './schedule-store.ts'

// The reminders function: opens its database at init, keeps each task's reminder from task events
// (once per event, by the kit's inbox), fires due reminders to K_SINK on a PingSource tick, and
// answers the debugging read. src/index.ts only wires this to faas-js-runtime.

export type RemindersOptions = {
  readonly config: RemindersConfig
  readonly logger?: Logger
  /** Used by tests to fix the clock that decides what is due. */
  readonly now?: () => Date
  /** Checks bearer tokens; defaults to the Task API's verifier for `config.auth`. */
  readonly verifyToken?: TokenVerifier
  /** Checks each CloudEvent's sender; defaults to the check `config.senders` describes. */
  readonly eventGate?: EventGate
}

export type RemindersFunction = {
  init(): Promise<void>
  shutdown(): Promise<void>
  handle(context: FunctionContext, cloudevent?: object): Promise<FunctionResponse>
}

export const migrationsFolder = new URL('../migrations/', import.meta.url)

export function createReminders(options: RemindersOptions): RemindersFunction {
  const { config } = options
  const now = options.now ?? (() => new Date())
  const verifyToken = options.verifyToken ?? createTokenVerifier(config.auth)
  const eventGate = options.eventGate ?? createEventGate(config.senders, options.logger)
  const sink: SinkEmitter | undefined =
    config.K_SINK === undefined
      ? undefined
      : createSinkEmitter({
          url: config.K_SINK,
          overrides: config.K_CE_OVERRIDES,
          timeoutMs: config.REMINDERS_SINK_TIMEOUT_MS,
          tokenFile: config.EVENTS_SINK_TOKEN_FILE,
        })

  const database = functionDatabase<ReminderTables>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: config.REMINDERS_SCHEMA,
    migrationsFolder,
    applicationName: 'reminders',
    ...(options.logger ? { logger: options.logger } : {}),
  })
  const tables = database.tables
  const leadMs = config.REMINDERS_LEAD_SECONDS * 1000
  const applyOnce = createScheduleApplier(
    database.statement('reminders_apply_schedules', applySchedulesOnceText(config.REMINDERS_SCHEMA)),
  )

  async function onEvent(cloudevent: object): Promise<Outcome> {
    const record = recordOf(cloudevent)
    if (record.type === pingEventType) return tick(record.data)
    const decoded = decodeTaskflowEvent(cloudevent)
    if (!decoded.ok) return decoded.outcome
    const event = decoded.event
    // Reminder and notification events are not task changes: nothing to schedule.
    if (!isTaskChangeEvent(event)) return done()
    const schedule = reminderScheduleOf(event)
    const applied = await applyOnce(event, schedule)
    if (applied.duplicate) return done()
    // Set for sooner than the next tick could fire it on time: fired now, as that tick would have
    // (within the lead). Only this task's reminder: the tick fires the rest.
    if (
      applied.result === 'applied' &&
      schedule.remindAt &&
      schedule.remindAt.getTime() <= now().getTime() + leadMs
    )
      await fireNow(schedule.taskId)
    return done({
      taskId: schedule.taskId,
      taskVersion: schedule.taskVersion,
      result: applied.result,
      remindAt: schedule.remindAt?.toISOString() ?? null,
    })
  }

  /** Fires a task's reminder due now, for its task event; a failure leaves it due for the next tick. */
  async function fireNow(taskId: string): Promise<void> {
    if (!sink) return
    const outcome = await fireDue(sink, taskId).catch((error: unknown) => unavailable(String(error)))
    if (outcome.kind !== 'done')
      options.logger?.warn({ taskId, outcome }, 'a reminder due now was not fired; the next tick fires it')
  }

  function fireDue(sink: SinkEmitter, taskId?: string): Promise<Outcome> {
    return fireDueReminders({
      db: tables(),
      schema: config.REMINDERS_SCHEMA,
      sink,
      now: now(),
      leadMs,
      batchSize: config.REMINDERS_BATCH_SIZE,
      claimMs: config.REMINDERS_CLAIM_SECONDS * 1000,
      ...(taskId === undefined ? {} : { taskId }),
    })
  }

  async function tick(data: unknown): Promise<Outcome> {
    const parsed = reminderTickSchema.safeParse(data)
    if (!parsed.success) return unprocessable('a ping to reminders must carry {"action":"tick"}')
    if (!sink) {
      // Refused, not acknowledged: firing would mark reminders sent that went nowhere.
      options.logger?.error('K_SINK is not set (no SinkBinding?): refusing the tick, no reminder is fired')
      return unavailable('K_SINK is not configured: reminders cannot be emitted')
    }
    const outcome = await fireDue(sink)
    if (outcome.kind === 'done') options.logger?.info(outcome.body ?? {}, 'reminders tick')
    return outcome
  }

  return {
    async init() {
      answerInvalidCloudEventsWith400(options.logger)
      if (!sink) {
        options.logger?.error(
          'K_SINK is not set: task events are scheduled, but every tick is refused with 503 until it is',
        )
      }
      await database.open()
    },
    async shutdown() {
      await database.close()
    },
    handle(context, cloudevent) {
      if (cloudevent)
        return eventGate(context, () => respond(context, () => onEvent(cloudevent), isTransientDatabaseError))
      return answerReminderRead(context, { db: tables(), now: now(), verifyToken }).catch((error) =>
        respond(context, () => Promise.reject(error), isTransientDatabaseError),
      )
    },
  }
}
