import { type Kysely, sql } from 'kysely'
import type { TasksDatabase } from '../database.ts'
import type { OutboxBacklog } from '../metrics.ts'

/** Unpublished rows and the age of the oldest (served by the partial index on unpublished rows). */
export async function readOutboxBacklog(db: Kysely<TasksDatabase>): Promise<OutboxBacklog> {
  const row = await db
    .selectFrom('tasks.outbox')
    .select([
      sql<number>`count(*)::int`.as('count'),
      sql<number>`coalesce(extract(epoch from now() - min(created_at)), 0)::float8`.as('oldest'),
    ])
    .where('published_at', 'is', null)
    .executeTakeFirstOrThrow()
  return { count: row.count, oldestAgeSeconds: Math.max(0, row.oldest) }
}
