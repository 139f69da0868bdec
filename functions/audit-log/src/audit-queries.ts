import { type Kysely, sql } from 'kysely'
import { encodeSeqCursor } from '#kit'
import type { AuditTables, EntriesTable } from './audit-tables.ts'

// The reads: a task's trail (oldest first) and a search across the tasks a user may see (newest
// first), both paged by an opaque cursor over `seq`, which only grows.

export type AuditEntryView = {
  readonly seq: string
  readonly eventId: string
  readonly type: string
  readonly taskId: string
  readonly actor: string | null
  readonly time: string
  readonly recordedAt: string
  readonly correlationId: string | null
  readonly causationId: string | null
  readonly changes: unknown
  readonly data: unknown
  readonly hash: string
  readonly previousHash: string | null
}

export type AuditPage = { readonly entries: readonly AuditEntryView[]; readonly nextCursor: string | null }

export type SearchFilters = {
  readonly actor?: string | undefined
  readonly type?: string | undefined
  readonly from?: Date | undefined
  readonly to?: Date | undefined
}

/** null when the task is unknown or `userId` may not see it (the two are not told apart). */
export async function readTaskTrail(
  db: Kysely<AuditTables>,
  query: { taskId: string; userId: string; afterSeq?: string | undefined; limit: number },
): Promise<AuditPage | null> {
  const readers = await db
    .selectFrom('task_readers')
    .selectAll()
    .where('task_id', '=', query.taskId)
    .executeTakeFirst()
  if (
    !readers ||
    (readers.created_by !== query.userId &&
      readers.assignee !== query.userId &&
      !readers.watchers.includes(query.userId))
  ) {
    return null
  }
  let select = db.selectFrom('entries as e').selectAll().where('e.task_id', '=', query.taskId)
  if (query.afterSeq !== undefined) select = select.where('e.seq', '>', query.afterSeq)
  const rows = await select
    .orderBy('e.seq', 'asc')
    .limit(query.limit + 1)
    .execute()
  return page(rows, query.limit)
}

export async function searchEntries(
  db: Kysely<AuditTables>,
  query: SearchFilters & { userId: string; beforeSeq?: string | undefined; limit: number },
): Promise<AuditPage> {
  // The readable tasks first, each an index probe (migration 0003): a user who may read nothing never
  // walks the log, and one who may read some reads only their tasks' entries.
  const readable = await db
    .selectFrom('task_readers')
    .select('task_id')
    .where((eb) =>
      eb.or([
        eb('created_by', '=', query.userId),
        eb('assignee', '=', query.userId),
        sql<boolean>`watchers @> array[${query.userId}]::text[]`,
      ]),
    )
    .execute()
  if (readable.length === 0) return { entries: [], nextCursor: null }
  let select = db
    .selectFrom('entries as e')
    .selectAll()
    .where('e.task_id', '=', sql<string>`any(${sql.val(readable.map((row) => row.task_id))}::uuid[])`)
  if (query.actor !== undefined) select = select.where('e.actor', '=', query.actor)
  if (query.type !== undefined) select = select.where('e.event_type', '=', query.type)
  if (query.from !== undefined) select = select.where('e.occurred_at', '>=', query.from)
  if (query.to !== undefined) select = select.where('e.occurred_at', '<', query.to)
  if (query.beforeSeq !== undefined) select = select.where('e.seq', '<', query.beforeSeq)
  const rows = await select
    .orderBy('e.seq', 'desc')
    .limit(query.limit + 1)
    .execute()
  return page(rows, query.limit)
}

function page(rows: readonly (Omit<EntriesTable, 'seq'> & { seq: string })[], limit: number): AuditPage {
  const shown = rows.slice(0, limit)
  const last = shown.at(-1)
  return {
    entries: shown.map(toView),
    nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null,
  }
}

function toView(row: Omit<EntriesTable, 'seq'> & { seq: string }): AuditEntryView {
  return {
    seq: row.seq,
    eventId: row.event_id,
    type: row.event_type,
    taskId: row.task_id,
    actor: row.actor,
    time: new Date(row.occurred_at).toISOString(),
    recordedAt: new Date(row.recorded_at).toISOString(),
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    changes: row.changes,
    data: row.data,
    hash: row.hash,
    previousHash: row.prev_hash,
  }
}
