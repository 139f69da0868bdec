import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { DueReminder } from './reminder-event.ts'
import type { ReminderSchedule } from './reminder-schedule.ts'
import type { RemindersTable, ReminderTables } from './reminder-tables.ts'

// The reminder schedule in SQL: applying a task's new state, claiming due reminders for one tick,
// and settling each claim (fired after the sink's 2xx, released otherwise).

export type ScheduleResult = 'applied' | 'stale'

/**
 * Upserts the task's reminder unless the row already reflects a newer task version (a redelivered
 * older event must not undo a newer schedule). A changed remind_at drops any claim in flight, so a
 * tick still emitting the old time cannot mark the new one fired; an unchanged one keeps both the
 * claim and fired_remind_at, so editing the title does not fire the reminder a second time.
 */
export async function applySchedule(
  db: Kysely<ReminderTables>,
  schedule: ReminderSchedule,
): Promise<ScheduleResult> {
  const unchangedTime = sql<boolean>`reminders.remind_at is not distinct from excluded.remind_at`
  const applied = await db
    .insertInto('reminders')
    .values({
      task_id: schedule.taskId,
      task_version: schedule.taskVersion,
      remind_at: schedule.remindAt,
      title: schedule.title,
      due_at: schedule.dueAt,
      assignee: schedule.assignee,
      watchers: [...schedule.watchers],
      created_by: schedule.createdBy,
      scheduled_by: schedule.scheduledBy,
      correlation_id: schedule.correlationId,
      updated_at: sql<Date>`now()`,
    })
    .onConflict((conflict) =>
      conflict
        .column('task_id')
        .doUpdateSet((excluded) => ({
          task_version: excluded.ref('excluded.task_version'),
          remind_at: excluded.ref('excluded.remind_at'),
          title: excluded.ref('excluded.title'),
          due_at: excluded.ref('excluded.due_at'),
          assignee: excluded.ref('excluded.assignee'),
          watchers: excluded.ref('excluded.watchers'),
          created_by: excluded.ref('excluded.created_by'),
          scheduled_by: excluded.ref('excluded.scheduled_by'),
          correlation_id: excluded.ref('excluded.correlation_id'),
          claim_id: sql`case when ${unchangedTime} then reminders.claim_id end`,
          claimed_until: sql`case when ${unchangedTime} then reminders.claimed_until end`,
          updated_at: sql<Date>`now()`,
        }))
        .where('reminders.task_version', '<', (eb) => eb.ref('excluded.task_version')),
    )
    .returning('task_id')
    .executeTakeFirst()
  return applied ? 'applied' : 'stale'
}

export type Claim = { readonly claimId: string; readonly reminders: readonly DueReminder[] }

/**
 * Claims up to `limit` reminders due at `now` until `now + claimMs`. `FOR UPDATE SKIP LOCKED` lets
 * ticks on several replicas claim at once without waiting on each other or taking the same row: a
 * row another tick is claiming is skipped, and one it has claimed is excluded by claimed_until
 * (PostgreSQL re-checks the WHERE clause on the locked row's newest version).
 */
export async function claimDue(
  db: Kysely<ReminderTables>,
  schema: string,
  options: { now: Date; limit: number; claimMs: number },
): Promise<Claim> {
  const claimId = randomUUID()
  const table = sql.table(`${schema}.reminders`)
  const claimedUntil = new Date(options.now.getTime() + options.claimMs)
  const result = await sql<RemindersTable>`
    with due as (
      select task_id from ${table}
      where remind_at is not null
        and fired_remind_at is distinct from remind_at
        and remind_at <= ${options.now}
        and (claimed_until is null or claimed_until <= ${options.now})
      order by remind_at
      limit ${options.limit}
      for update skip locked
    )
    update ${table} as r set claim_id = ${claimId}, claimed_until = ${claimedUntil}
    from due where r.task_id = due.task_id
    returning r.*`.execute(db)
  return { claimId, reminders: result.rows.map(dueReminderOf) }
}

function dueReminderOf(row: RemindersTable): DueReminder {
  return {
    taskId: row.task_id,
    remindAt: new Date(row.remind_at!),
    title: row.title,
    dueAt: row.due_at === null ? null : new Date(row.due_at),
    assignee: row.assignee,
    watchers: row.watchers,
    createdBy: row.created_by,
    scheduledBy: row.scheduled_by,
    correlationId: row.correlation_id,
  }
}

/** Marks the claimed reminders of these tasks fired; a row rescheduled meanwhile lost its claim and stays due. */
export async function markFired(
  db: Kysely<ReminderTables>,
  claimId: string,
  taskIds: readonly string[],
): Promise<void> {
  if (taskIds.length === 0) return
  await db
    .updateTable('reminders')
    .set({
      fired_remind_at: (eb) => eb.ref('remind_at'),
      claim_id: null,
      claimed_until: null,
    })
    .where('claim_id', '=', claimId)
    .where('task_id', 'in', [...taskIds])
    .execute()
}

/** Gives the claimed reminders of these tasks back, due as before, for the next tick. */
export async function releaseClaim(
  db: Kysely<ReminderTables>,
  claimId: string,
  taskIds: readonly string[],
): Promise<void> {
  if (taskIds.length === 0) return
  await db
    .updateTable('reminders')
    .set({ claim_id: null, claimed_until: null })
    .where('claim_id', '=', claimId)
    .where('task_id', 'in', [...taskIds])
    .execute()
}

export type ReminderView = {
  readonly taskId: string
  readonly taskVersion: number
  /** null: nothing scheduled. */
  readonly remindAt: string | null
  readonly firedRemindAt: string | null
  readonly state: 'none' | 'pending' | 'claimed' | 'fired'
  /** The id the reminder.due event has (or had) for remindAt. */
  readonly eventId: string | null
}

/**
 * One task's reminder as the tick sees it, or undefined when no event of the task was seen or
 * `readerId` is none of its creator, assignee and watchers (the two are not told apart).
 */
export async function readReminder(
  db: Kysely<ReminderTables>,
  query: { taskId: string; readerId: string; now: Date },
  eventIdOf: (taskId: string, remindAt: Date) => string,
): Promise<ReminderView | undefined> {
  const { taskId, readerId, now } = query
  const row = await db
    .selectFrom('reminders')
    .selectAll()
    .where('task_id', '=', taskId)
    .where((eb) =>
      eb.or([
        eb('created_by', '=', readerId),
        eb('assignee', '=', readerId),
        sql<boolean>`${readerId} = any(watchers)`,
      ]),
    )
    .executeTakeFirst()
  if (!row) return undefined
  const remindAt = row.remind_at === null ? null : new Date(row.remind_at)
  const fired =
    remindAt !== null && row.fired_remind_at !== null && +new Date(row.fired_remind_at) === +remindAt
  const claimed = row.claimed_until !== null && new Date(row.claimed_until) > now
  return {
    taskId: row.task_id,
    taskVersion: row.task_version,
    remindAt: remindAt?.toISOString() ?? null,
    firedRemindAt: row.fired_remind_at === null ? null : new Date(row.fired_remind_at).toISOString(),
    state: remindAt === null ? 'none' : fired ? 'fired' : claimed ? 'claimed' : 'pending',
    eventId: remindAt === null ? null : eventIdOf(row.task_id, remindAt),
  }
}
