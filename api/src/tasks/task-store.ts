// Queries on tasks.tasks. Every read and write is scoped to what the user may see: tasks they created,
// are assigned to or watch. Anything else is indistinguishable from a task that does not exist.
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely'
import type { TasksDatabase, TaskTable } from '../database.ts'
import type { ListTasksQuery } from './task-schemas.ts'

type Db = Kysely<TasksDatabase> | Transaction<TasksDatabase>

function visibleTo(userId: string) {
  return (eb: ExpressionBuilder<TasksDatabase, 'tasks.tasks'>) =>
    eb.or([
      eb('created_by', '=', userId),
      eb('assignee', '=', userId),
      eb('watchers', '@>', sql<string[]>`array[${userId}]::text[]`),
    ])
}

export async function findVisibleTask(db: Db, id: string, userId: string): Promise<TaskTable | undefined> {
  return db
    .selectFrom('tasks.tasks')
    .selectAll()
    .where('id', '=', id)
    .where(visibleTo(userId))
    .executeTakeFirst()
}

/** Locks the row until the transaction ends: concurrent changes of one task are serialised here. */
export async function lockVisibleTask(trx: Transaction<TasksDatabase>, id: string, userId: string) {
  return trx
    .selectFrom('tasks.tasks')
    .selectAll()
    .where('id', '=', id)
    .where(visibleTo(userId))
    .forUpdate()
    .executeTakeFirst()
}

export async function insertTask(trx: Transaction<TasksDatabase>, row: TaskTable): Promise<void> {
  await trx.insertInto('tasks.tasks').values(row).execute()
}

export async function saveTask(trx: Transaction<TasksDatabase>, row: TaskTable): Promise<void> {
  const { id, ...changes } = row
  await trx.updateTable('tasks.tasks').set(changes).where('id', '=', id).execute()
}

export async function deleteTask(trx: Transaction<TasksDatabase>, id: string): Promise<void> {
  await trx.deleteFrom('tasks.tasks').where('id', '=', id).execute()
}

/**
 * One page in id order. Ids are UUIDv7 (time-ordered), so the order is creation order and stable under
 * concurrent inserts; the cursor is the last id returned (keyset pagination, no OFFSET drift).
 */
export async function listVisibleTasks(
  db: Db,
  userId: string,
  query: ListTasksQuery,
  afterId: string | undefined,
): Promise<TaskTable[]> {
  let select = db.selectFrom('tasks.tasks').selectAll().where(visibleTo(userId))
  if (query.status !== undefined) select = select.where('status', '=', query.status)
  if (query.assignee !== undefined) select = select.where('assignee', '=', query.assignee)
  if (query.tag !== undefined) select = select.where('tags', '@>', sql<string[]>`array[${query.tag}]::text[]`)
  if (query.dueAfter !== undefined) select = select.where('due_at', '>=', new Date(query.dueAfter))
  if (query.dueBefore !== undefined) select = select.where('due_at', '<', new Date(query.dueBefore))
  if (afterId !== undefined) select = select.where('id', '>', afterId)
  return select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute()
}
