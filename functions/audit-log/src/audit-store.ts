import { type Kysely, sql } from 'kysely'
import { createGroupCommit, type PreparedStatement } from '#kit'
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

export type AppendResult = { readonly duplicate: true } | { readonly duplicate: false; readonly seq: string }

type AppendRow = {
  outcome: 'recorded' | 'duplicate' | 'stale'
  entry_seq: string | null
  chain_head: string | null
}

/** One event's row as append_entries reads it from its JSON document. */
type EntryWrite = AuditEntryContent & {
  readonly expectedPrevHash: string | null
  readonly hash: string
  readonly createdBy: string
  readonly assignee: string | null
  readonly watchers: readonly string[]
  readonly taskVersion: number
}

export function appendEntriesStatementText(schema: string): string {
  return `select outcome, entry_seq::text as entry_seq, chain_head from ${schema}.append_entries($1::jsonb)`
}

/**
 * Appends the events that arrive together in one call of append_entries (group commit): one round
 * trip and one commit for all of them. `run` is `appendEntriesStatementText`'s statement.
 */
function groupCommitted(run: PreparedStatement<AppendRow>): (entry: EntryWrite) => Promise<AppendRow> {
  return createGroupCommit<EntryWrite, AppendRow>({
    // One event per task in a call, in task id order: calls lock their tasks in one order.
    keyOf: (entry) => entry.taskId,
    write: (entries) => run([JSON.stringify(entries)]),
  })
}

// The newest hash of recently written tasks. A task's events come in order on one partition, so the
// next event of a task usually finds its parent here and is recorded in one round trip.
const cachedHeads = 10_000
// A head that moved between the answer and the retry (another replica writing the same task) is met
// again on the next try; past this the event is redelivered instead.
const attemptsPerEvent = 3

/**
 * Records task events once each (the inbox) as hash-chained rows, refreshing who may read each task.
 * One round trip per event, or per group of events arriving together: the hash is computed here over
 * the head this process expects, and `append_entry` writes nothing and answers the actual head when
 * another writer moved it. `run` is `appendEntriesStatementText`'s statement (FunctionDatabase.statement).
 */
export function createEntryAppender(run: PreparedStatement<AppendRow>) {
  const appendRow = groupCommitted(run)
  const heads = new Map<string, string>()
  const remember = (taskId: string, hash: string) => {
    heads.delete(taskId)
    heads.set(taskId, hash)
    if (heads.size > cachedHeads) heads.delete(heads.keys().next().value!)
  }
  // Events of one task in this process go one after another, each hashing over the head the one
  // before it wrote: concurrent ones (an unordered source, retries) would otherwise all miss.
  const lanes = new Map<string, Promise<void>>()
  return function append(content: AuditEntryContent, readers: TaskReaders): Promise<AppendResult> {
    // A lane's tail never rejects (`settled`), so the next event runs whatever the last one did.
    const previous = lanes.get(content.taskId)
    const result = previous ? previous.then(() => appendOne(content, readers)) : appendOne(content, readers)
    const settled = result.then(
      () => {},
      () => {},
    )
    lanes.set(content.taskId, settled)
    void settled.then(() => {
      if (lanes.get(content.taskId) === settled) lanes.delete(content.taskId)
    })
    return result
  }

  async function appendOne(content: AuditEntryContent, readers: TaskReaders): Promise<AppendResult> {
    // No head known: a new task's first event has none.
    let expected = heads.get(content.taskId) ?? null
    for (let attempt = 1; ; attempt++) {
      const hash = entryHash(expected, content)
      const row = await appendRow({
        ...content,
        expectedPrevHash: expected,
        hash,
        createdBy: readers.createdBy,
        assignee: readers.assignee,
        watchers: readers.watchers,
        taskVersion: readers.taskVersion,
      })
      if (row.outcome === 'recorded') {
        remember(content.taskId, hash)
        return { duplicate: false, seq: row.entry_seq! }
      }
      if (row.outcome === 'duplicate') return { duplicate: true }
      if (attempt === attemptsPerEvent) throw new ChainContentionError(content.taskId, attemptsPerEvent)
      expected = row.chain_head
    }
  }
}

/** The chain head of a task kept moving under this writer: worth a redelivery (503), not a failure. */
export class ChainContentionError extends Error {
  constructor(taskId: string, attempts: number) {
    super(`the audit chain of task ${taskId} moved under ${attempts} attempts in a row`)
    this.name = 'ChainContentionError'
  }
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
