// A sample of each event type of the contract (events/), for `npm run invoke`: what the Task API, the
// reminders function and notification-fanout send, with a task of its own each time (fresh ids).
import { randomUUID } from 'node:crypto'
import type { EventData, EventType, TaskSnapshot } from '../../events/src/index.ts'

function sampleTask(now: string): TaskSnapshot {
  return {
    id: randomUUID(),
    title: 'Sample task from npm run invoke',
    description: null,
    status: 'open',
    priority: 'normal',
    dueAt: null,
    remindAt: now,
    assignee: 'bob',
    watchers: ['carol'],
    tags: ['sample'],
    createdBy: 'alice',
    createdAt: now,
    updatedAt: now,
    version: 1,
  }
}

export const sampleData: { readonly [T in EventType]: (now: Date) => EventData<T> } = {
  'dev.taskflow.task.created': (now) => ({ task: sampleTask(now.toISOString()) }),
  'dev.taskflow.task.updated': (now) => {
    const task = { ...sampleTask(now.toISOString()), title: 'Sample task, renamed', version: 2 }
    return {
      task,
      changes: { title: { previous: 'Sample task from npm run invoke', current: task.title } },
    }
  },
  'dev.taskflow.task.completed': (now) => ({
    task: { ...sampleTask(now.toISOString()), status: 'done', version: 2 },
    completedAt: now.toISOString(),
  }),
  'dev.taskflow.task.deleted': (now) => ({ task: sampleTask(now.toISOString()) }),
  'dev.taskflow.reminder.due': (now) => ({
    taskId: randomUUID(),
    title: 'Sample task from npm run invoke',
    remindAt: now.toISOString(),
    dueAt: null,
    assignee: 'bob',
    watchers: ['carol'],
    createdBy: 'alice',
  }),
  'dev.taskflow.notification.sent': () => ({
    notificationId: randomUUID(),
    recipient: 'bob',
    channel: 'in_app',
    taskId: randomUUID(),
    causeEventId: randomUUID(),
  }),
}
