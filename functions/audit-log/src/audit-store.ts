import { type Kysely, sql } from 'kysely'
import { type AuditEntryContent, entryHash } from './audit-hash.ts'
import type { AuditTables } from './audit-tables.ts'

// Writing and checking the append-only, hash-chained audit rows.

/** Who may read a task's trail: the people in the task snapshot the event carried. */
export type TaskReaders = {
  readonly taskId: string
  readonly createdBy: string
  readonly assignee: string | null
  readonly watchers: readonly string[]
  readonly taskVersion: number
}

/**
 * Appends one row, chained to the newest row of the same task, and refreshes who may read the task.
 * Call inside the inbox transaction: the per-task advisory lock (released at commit) makes two
 * concurrent events of one task chain one after the other instead of both onto the same parent.
 */
export async function appendEntry(
  trx: Kysely<AuditTables>,
  content: AuditEntryContent,
  readers: TaskReaders,
): Promise<{ seq: string; hash: string }> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${content.taskId}`}, 0))`.execute(trx)

  // A snapshot older than the one already projected (events of one task can arrive out of order
  // across retries) must not roll the readers back.
  await trx
    .insertInto('task_readers')
    .values({
      task_id: readers.taskId,
      created_by: readers.createdBy,
      assignee: readers.assignee,
      watchers: [...readers.watchers],
      task_version: readers.taskVersion,
    })
    .onConflict((conflict) =>
      conflict
        .column('task_id')
        .doUpdateSet((excluded) => ({
          created_by: excluded.ref('excluded.created_by'),
          assignee: excluded.ref('excluded.assignee'),
          watchers: excluded.ref('excluded.watchers'),
          task_version: excluded.ref('excluded.task_version'),
        }))
        .where('task_readers.task_version', '<=', (eb) => eb.ref('excluded.task_version')),
    )
    .execute()

  const previousHash = await chainHead(trx, content.taskId)
  const hash = entryHash(previousHash, content)
  const inserted = await trx
    .insertInto('entries')
    .values({
      event_id: content.eventId,
      event_source: content.eventSource,
      event_type: content.eventType,
      task_id: content.taskId,
      actor: content.actor,
      occurred_at: content.occurredAt,
      // clock_timestamp(), not now(): taken after the lock, so recorded_at grows with seq per task
      // and a retention purge removes a prefix of each chain.
      recorded_at: sql<Date>`clock_timestamp()`,
      correlation_id: content.correlationId,
      causation_id: content.causationId,
      data: JSON.stringify(content.data),
      changes: content.changes === null ? null : JSON.stringify(content.changes),
      prev_hash: previousHash,
      hash,
    })
    .returning('seq')
    .executeTakeFirstOrThrow()
  return { seq: inserted.seq, hash }
}

async function chainHead(db: Kysely<AuditTables>, taskId: string): Promise<string | null> {
  const newest = await db
    .selectFrom('entries')
    .select('hash')
    .where('task_id', '=', taskId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (newest) return newest.hash
  const anchor = await db
    .selectFrom('chain_anchors')
    .select('hash')
    .where('task_id', '=', taskId)
    .executeTakeFirst()
  return anchor?.hash ?? null
}

/**
 * Deletes rows recorded before `cutoff`. The hash of each task's newest purged row becomes that
 * task's anchor, so the remaining chain still verifies and a row removed any other way does not.
 */
export async function purgeRecordedBefore(
  db: Kysely<AuditTables>,
  schema: string,
  cutoff: Date,
): Promise<number> {
  const entries = sql.table(`${schema}.entries`)
  const anchors = sql.table(`${schema}.chain_anchors`)
  const result = await sql<{ purged: string }>`
    with purged as (
      delete from ${entries} where recorded_at < ${cutoff} returning task_id, seq, hash
    ), newest as (
      select distinct on (task_id) task_id, hash from purged order by task_id, seq desc
    ), anchored as (
      insert into ${anchors} (task_id, hash) select task_id, hash from newest
      on conflict (task_id) do update set hash = excluded.hash
    )
    select count(*)::text as purged from purged`.execute(db)
  return Number(result.rows[0]?.purged ?? 0)
}

export type ChainVerdict =
  | { readonly ok: true; readonly entries: number }
  | {
      readonly ok: false
      readonly entries: number
      readonly brokenAt: {
        readonly seq: string
        readonly eventId: string
        readonly reason: 'content-changed' | 'link-broken'
      }
    }

/** Recomputes a task's chain from its anchor and reports the first row that does not fit. */
export async function verifyChain(db: Kysely<AuditTables>, taskId: string): Promise<ChainVerdict> {
  const anchor = await db
    .selectFrom('chain_anchors')
    .select('hash')
    .where('task_id', '=', taskId)
    .executeTakeFirst()
  const rows = await db
    .selectFrom('entries')
    .selectAll()
    .where('task_id', '=', taskId)
    .orderBy('seq')
    .execute()
  let expectedPrevious = anchor?.hash ?? null
  for (const row of rows) {
    if (row.prev_hash !== expectedPrevious) {
      return {
        ok: false,
        entries: rows.length,
        brokenAt: { seq: row.seq, eventId: row.event_id, reason: 'link-broken' },
      }
    }
    const recomputed = entryHash(row.prev_hash, {
      eventId: row.event_id,
      eventSource: row.event_source,
      eventType: row.event_type,
      taskId: row.task_id,
      actor: row.actor,
      occurredAt: new Date(row.occurred_at).toISOString(),
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      data: row.data,
      changes: row.changes,
    })
    if (recomputed !== row.hash) {
      return {
        ok: false,
        entries: rows.length,
        brokenAt: { seq: row.seq, eventId: row.event_id, reason: 'content-changed' },
      }
    }
    expectedPrevious = row.hash
  }
  return { ok: true, entries: rows.length }
}
