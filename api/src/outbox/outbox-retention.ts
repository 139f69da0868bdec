// Housekeeping: published outbox rows and old idempotency keys are only kept for a while, so the
// tables stay small. Deletes are bounded per call so a long backlog of garbage never holds locks long.
import { type Kysely, sql } from 'kysely'
import type { TasksDatabase } from '../database.ts'

export type RetentionPolicy = {
  /** Published rows are kept this long (for inspection and a manual replay). */
  publishedOutboxMs: number
  /** An Idempotency-Key protects retries for this long (the IETF draft suggests at least 24 h). */
  idempotencyKeyMs: number
  /** At most this many rows per table per call. */
  batch: number
}

export const defaultRetention: RetentionPolicy = {
  publishedOutboxMs: 24 * 3600_000,
  idempotencyKeyMs: 24 * 3600_000,
  batch: 5000,
}

export async function pruneExpiredRows(
  db: Kysely<TasksDatabase>,
  policy: RetentionPolicy = defaultRetention,
): Promise<{ outbox: number; idempotencyKeys: number }> {
  const outbox = await db
    .deleteFrom('tasks.outbox')
    .where(
      'id',
      'in',
      db
        .selectFrom('tasks.outbox')
        .select('id')
        .where(
          'published_at',
          '<',
          sql<Date>`now() - ${`${policy.publishedOutboxMs} milliseconds`}::interval`,
        )
        .limit(policy.batch),
    )
    .executeTakeFirst()
  const keys = await db
    .deleteFrom('tasks.idempotency_keys')
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('user_id', 'key'),
        'in',
        selectFrom('tasks.idempotency_keys')
          .select(['user_id', 'key'])
          .where('created_at', '<', sql<Date>`now() - ${`${policy.idempotencyKeyMs} milliseconds`}::interval`)
          .limit(policy.batch)
          .$asTuple('user_id', 'key'),
      ),
    )
    .executeTakeFirst()
  return { outbox: Number(outbox.numDeletedRows), idempotencyKeys: Number(keys.numDeletedRows) }
}
