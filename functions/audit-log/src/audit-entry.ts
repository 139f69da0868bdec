import type { EventType, TaskflowEvent } from '#kit'
import type { AuditEntryContent } from './audit-hash.ts'
import type { TaskReaders } from './audit-store.ts'

// What one task event becomes in the audit log: the row's content and who may read the task.

export const auditedEventTypes: ReadonlySet<EventType> = new Set([
  'dev.taskflow.task.created',
  'dev.taskflow.task.updated',
  'dev.taskflow.task.completed',
  'dev.taskflow.task.deleted',
])

type TaskEvent = TaskflowEvent<
  | 'dev.taskflow.task.created'
  | 'dev.taskflow.task.updated'
  | 'dev.taskflow.task.completed'
  | 'dev.taskflow.task.deleted'
>

export function isAuditedEvent(event: TaskflowEvent): event is TaskEvent {
  return auditedEventTypes.has(event.type)
}

export function auditEntryOf(event: TaskEvent): { content: AuditEntryContent; readers: TaskReaders } {
  const task = event.data.task
  return {
    content: {
      eventId: event.id,
      eventSource: event.source,
      eventType: event.type,
      taskId: task.id,
      actor: event.actor ?? null,
      occurredAt: new Date(event.time).toISOString(),
      correlationId: event.correlationid ?? null,
      causationId: event.causationid ?? null,
      data: event.data,
      changes: 'changes' in event.data ? event.data.changes : null,
    },
    readers: {
      taskId: task.id,
      createdBy: task.createdBy,
      assignee: task.assignee,
      watchers: task.watchers,
      taskVersion: task.version,
    },
  }
}
