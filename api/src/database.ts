// Kysely table types of api/migrations. Column names are SQL's snake_case; the HTTP and event shapes
// are camelCase and are mapped in tasks/task-rows.ts.
import type { ColumnType, Generated } from 'kysely'
import type { TaskSnapshot } from '../../events/src/index.ts'

export type TaskStatus = TaskSnapshot['status']
export type TaskPriority = TaskSnapshot['priority']

export type TaskTable = {
  id: string
  title: string
  description: string | null
  status: TaskStatus
  priority: TaskPriority
  due_at: Date | null
  remind_at: Date | null
  assignee: string | null
  watchers: string[]
  tags: string[]
  created_by: string
  created_at: Date
  updated_at: Date
  completed_at: Date | null
  version: number
}

export type OutboxTable = {
  // bigint: pg returns it as a string, which keeps ids above 2^53 exact.
  id: Generated<string>
  event_id: string
  lane: number
  topic: string
  key: string | null
  headers: ColumnType<Record<string, string>, string, string>
  value: Buffer
  created_at: Generated<Date>
  published_at: Date | null
  attempts: Generated<number>
  last_error: string | null
}

export type OutboxLaneTable = {
  lane: number
  owner: string | null
  lease_until: Date | null
}

export type IdempotencyKeyTable = {
  user_id: string
  key: string
  request_hash: string
  status_code: number
  response_body: ColumnType<unknown, string, string>
  task_id: string | null
  created_at: Generated<Date>
}

export type TasksDatabase = {
  'tasks.tasks': TaskTable
  'tasks.outbox': OutboxTable
  'tasks.outbox_lanes': OutboxLaneTable
  'tasks.idempotency_keys': IdempotencyKeyTable
}
