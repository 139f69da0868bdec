import type { Kysely } from 'kysely'
import { z } from 'zod'
import { done, type Outcome, type SinkEmitter, unavailable } from '#kit'
import { reminderDueEvent } from './reminder-event.ts'
import type { ReminderTables } from './reminder-tables.ts'
import { claimDue, markFired, releaseClaim } from './schedule-store.ts'

// The tick: Knative's PingSource posts `dev.knative.sources.ping` with the JSON it was configured
// with (sources/ping-sources.yaml sets {"action":"tick"}) every minute. PingSource has no delivery
// retry, so a tick never does "the work of this minute": it fires everything due, whenever it came
// due, and a failed or missed tick is made up by the next one. A tick also fires what comes due
// within its lead (half the interval by default), so a reminder is emitted within half a tick
// interval of its remindAt, either side (30 s on a cluster, where ticks come every minute), and not
// up to a whole interval late.

export const pingEventType = 'dev.knative.sources.ping'

export const reminderTickSchema = z.object({ action: z.literal('tick') })

// Emitting a batch one reminder after another would make a tick as slow as the sink times the
// batch; a few at a time keeps the KafkaSink busy without opening a connection per reminder.
const emitConcurrency = 8

export type TickOptions = {
  readonly db: Kysely<ReminderTables>
  readonly schema: string
  readonly sink: SinkEmitter
  readonly now: Date
  /** Reminders due up to this long after `now` fire on this tick. */
  readonly leadMs: number
  /** Only this task's reminder (a task event firing its own), not every one due. */
  readonly taskId?: string
  readonly batchSize: number
  readonly claimMs: number
}

export type TickReport = { readonly fired: number; readonly batches: number }

/**
 * Claims due reminders batch after batch and emits each to the sink; a reminder is marked fired only
 * after the sink answered 2xx. When the sink fails, the rest of that batch is released (still due)
 * and the tick answers 503, so whoever sent it may retry and the next tick tries again.
 */
export async function fireDueReminders(options: TickOptions): Promise<Outcome> {
  let fired = 0
  let batches = 0
  for (;;) {
    const claim = await claimDue(options.db, options.schema, {
      now: options.now,
      dueBy: new Date(options.now.getTime() + options.leadMs),
      ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
      limit: options.batchSize,
      claimMs: options.claimMs,
    })
    if (claim.reminders.length === 0) break
    batches++
    const sent: string[] = []
    const unsent: string[] = []
    let failure: Outcome | undefined
    for (let start = 0; start < claim.reminders.length; start += emitConcurrency) {
      const slice = claim.reminders.slice(start, start + emitConcurrency)
      if (failure) {
        unsent.push(...slice.map((reminder) => reminder.taskId))
        continue
      }
      const outcomes = await Promise.all(
        slice.map((reminder) => options.sink.emit(reminderDueEvent(reminder))),
      )
      for (const [index, outcome] of outcomes.entries()) {
        const taskId = slice[index]!.taskId
        if (outcome.kind === 'done') sent.push(taskId)
        else {
          unsent.push(taskId)
          failure ??= outcome
        }
      }
    }
    await markFired(options.db, claim.claimId, sent)
    fired += sent.length
    if (failure) {
      await releaseClaim(options.db, claim.claimId, unsent)
      const reason = failure.kind === 'done' ? 'the sink failed' : failure.reason
      return unavailable(`${reason}; fired ${fired}, ${unsent.length} released and still due`)
    }
    if (claim.reminders.length < options.batchSize) break
  }
  const report: TickReport = { fired, batches }
  return done(report)
}
