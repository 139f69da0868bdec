import { randomUUID } from 'node:crypto'
import { createEvent, EventTypes, type TaskflowEvent, type TaskSnapshot } from '../../events/src/index.ts'

// Task events as the Task API would emit them, for the functions' tests.

export function taskSnapshot(overrides: Partial<TaskSnapshot> = {}): TaskSnapshot {
  const at = '2026-08-23T10:00:00.000Z'
  return {
    id: randomUUID(),
    title: 'Write the audit log',
    description: null,
    status: 'open',
    priority: 'normal',
    dueAt: null,
    remindAt: null,
    assignee: 'bob',
    watchers: ['carol'],
    tags: [],
    createdBy: 'alice',
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
  }
}

export function taskCreated(task: TaskSnapshot, actor = task.createdBy): TaskflowEvent {
  return createEvent({
    type: EventTypes.TaskCreated,
    source: '/taskflow/api',
    data: { task },
    actor,
    correlationId: randomUUID(),
  })
}

export function taskUpdated(
  previous: TaskSnapshot,
  title: string,
  actor = 'bob',
  causationId?: string,
): TaskflowEvent {
  const task = { ...previous, title, version: previous.version + 1 }
  return createEvent({
    type: EventTypes.TaskUpdated,
    source: '/taskflow/api',
    data: { task, changes: { title: { previous: previous.title, current: title } } },
    actor,
    ...(causationId === undefined ? {} : { causationId }),
  })
}

/** faas-js-runtime's context for a CloudEvent POST, as much of it as the functions read. */
export const eventContext = { method: 'POST', headers: {}, query: {} }

export function readContext(userId: string | undefined, query: Record<string, string>) {
  return {
    method: 'GET',
    headers: userId === undefined ? {} : { authorization: `Bearer dev.${userId}` },
    query,
  }
}
