import type { TaskChangeEvent } from '#kit'
import type { AuditEntryContent } from './audit-hash.ts'
import type { TaskReaders } from './audit-store.ts'

// What one task event becomes in the audit log: the row's content and who may read the task.

export function auditEntryOf(event: TaskChangeEvent): { content: AuditEntryContent; readers: TaskReaders } {
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
