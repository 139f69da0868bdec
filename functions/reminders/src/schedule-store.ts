import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { createGroupCommit, type PreparedStatement } from '#kit'
import type { DueReminder } from './reminder-event.ts'
import type { ReminderSchedule } from './reminder-schedule.ts'
import type { RemindersTable, ReminderTables } from './reminder-tables.ts'

// The reminder schedule in SQL: applying a task's new state, claiming due reminders for one tick,
// and settling each claim (fired after the sink's 2xx, released otherwise).

export type ScheduleResult = 'applied' | 'stale'

/** What one task event did: nothing when it was processed before (the inbox), else the schedule's result. */
export type ScheduleOnceResult =
  | { readonly duplicate: true }
  | { readonly duplicate: false; readonly result: ScheduleResult }

type ScheduleOnceRow = { fresh: boolean; applied: boolean }

/**
 * The inbox inserts and the schedule upserts of the events that arrive together as one statement (one
 * round trip, one commit: a group commit). Each event's upsert runs only when its inbox row is new, and
 * skips a row that already reflects a newer task version (a redelivered older event must not undo a
 * newer schedule). A changed remind_at drops any claim in flight, so a tick still emitting the old time
 * cannot mark the new one fired; an unchanged one keeps both the claim and fired_remind_at, so editing
 * the title does not fire the reminder a second time. At most one event per task in a statement (an
 * upsert may not touch a row twice); one answer row per event, in input order.
 */
export function applySchedulesOnceText(schema: string): string {
  const unchangedTime = 'r.remind_at is not distinct from excluded.remind_at'
  return `with input as (
      select * from rows from (jsonb_to_recordset($1::jsonb) as (
        source text, id text, "taskId" uuid, "taskVersion" integer, "remindAt" timestamptz, title text,
        "dueAt" timestamptz, assignee text, watchers text[], "createdBy" text, "scheduledBy" text,
        "correlationId" text)) with ordinality as event
    ), inbox as (
      insert into ${schema}.processed_events (source, id) select source, id from input
      on conflict do nothing returning source, id
    ), applied as (
      insert into ${schema}.reminders as r (task_id, task_version, remind_at, title, due_at, assignee,
        watchers, created_by, scheduled_by, correlation_id, updated_at)
      select "taskId", "taskVersion", "remindAt", title, "dueAt", assignee, watchers, "createdBy",
        "scheduledBy", "correlationId", now()
      from input join inbox using (source, id)
      on conflict (task_id) do update set
        task_version = excluded.task_version,
        remind_at = excluded.remind_at,
        title = excluded.title,
        due_at = excluded.due_at,
        assignee = excluded.assignee,
        watchers = excluded.watchers,
        created_by = excluded.created_by,
        scheduled_by = excluded.scheduled_by,
        correlation_id = excluded.correlation_id,
        claim_id = case when ${unchangedTime} then r.claim_id end,
        claimed_until = case when ${unchangedTime} then r.claimed_until end,
        updated_at = now()
      where r.task_version < excluded.task_version
      returning task_id
    )
    select exists (select from inbox where inbox.source = input.source and inbox.id = input.id) as fresh,
      exists (select from applied where applied.task_id = input."taskId") as applied
    from input order by input.ordinality`
}

type ScheduleWrite = ReminderSchedule & { readonly source: string; readonly id: string }

/** `run` is `applySchedulesOnceText`'s statement (FunctionDatabase.statement). */
export function createScheduleApplier(run: PreparedStatement<ScheduleOnceRow>) {
  const write = createGroupCommit<ScheduleWrite, ScheduleOnceRow>({
    keyOf: (schedule) => schedule.taskId,
    write: (schedules) => run([JSON.stringify(schedules)]),
  })
  return async function applyOnce(
    event: { readonly source: string; readonly id: string },
    schedule: ReminderSchedule,
  ): Promise<ScheduleOnceResult> {
    const row = await write({ ...schedule, source: event.source, id: event.id })
    return row.fresh ? { duplicate: false, result: row.applied ? 'applied' : 'stale' } : { duplicate: true }
  }
}

export type Claim = { readonly claimId: string; readonly reminders: readonly DueReminder[] }

/**
 * Claims up to `limit` reminders due by `dueBy` (now, or a little ahead: the tick's lead), of one task
 * when `taskId` is given, until `now + claimMs`. `FOR UPDATE SKIP LOCKED` lets
 * ticks on several replicas claim at once without waiting on each other or taking the same row: a
 * row another tick is claiming is skipped, and one it has claimed is excluded by claimed_until
 * (PostgreSQL re-checks the WHERE clause on the locked row's newest version).
 */
export async function claimDue(
  db: Kysely<ReminderTables>,
  schema: string,
  options: { now: Date; dueBy?: Date; limit: number; claimMs: number; taskId?: string },
): Promise<Claim> {
  const dueBy = options.dueBy ?? options.now
  const claimId = randomUUID()
  const table = sql.table(`${schema}.reminders`)
  const claimedUntil = new Date(options.now.getTime() + options.claimMs)
  const result = await sql<RemindersTable>`
    with due as (
      select task_id from ${table}
      where remind_at is not null
        and fired_remind_at is distinct from remind_at
        and remind_at <= ${dueBy}
        and (claimed_until is null or claimed_until <= ${options.now})
        and (${options.taskId ?? null}::uuid is null or task_id = ${options.taskId ?? null}::uuid)
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
