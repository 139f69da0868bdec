// Row <-> resource mapping. The resource is the task snapshot every task event carries, so the HTTP
// body and the event data are one shape.
import type { TaskTable } from '../database.ts'
import type { Task } from './task-schemas.ts'

export function taskFromRow(row: TaskTable): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    dueAt: row.due_at?.toISOString() ?? null,
    remindAt: row.remind_at?.toISOString() ?? null,
    assignee: row.assignee,
    watchers: row.watchers,
    tags: row.tags,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    version: row.version,
  }
}

/** Free text goes in as it is: the request schemas refuse what a row cannot hold (task-schemas.ts). */
export function rowFromTask(task: Task, completedAt: Date | null): TaskTable {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    due_at: task.dueAt === null ? null : new Date(task.dueAt),
    remind_at: task.remindAt === null ? null : new Date(task.remindAt),
    assignee: task.assignee,
    watchers: task.watchers,
    tags: task.tags,
    created_by: task.createdBy,
    created_at: new Date(task.createdAt),
    updated_at: new Date(task.updatedAt),
    completed_at: completedAt,
    version: task.version,
  }
}
