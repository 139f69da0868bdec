import type { TaskflowEvent } from './event.ts'
import { EventTypes } from './event-types.ts'

/**
 * The events that record a change of a task (each carries the task snapshot after the change), as
 * opposed to what consumers derive from them (reminder due, notification sent). Consumers that follow
 * a task's state — the audit log, the reminder schedule — react to exactly these.
 */
export const taskChangeEventTypes = [
  EventTypes.TaskCreated,
  EventTypes.TaskUpdated,
  EventTypes.TaskCompleted,
  EventTypes.TaskDeleted,
] as const

export type TaskChangeEventType = (typeof taskChangeEventTypes)[number]
export type TaskChangeEvent = TaskflowEvent<TaskChangeEventType>

const taskChangeTypes: ReadonlySet<string> = new Set(taskChangeEventTypes)

export function isTaskChangeEvent(event: TaskflowEvent): event is TaskChangeEvent {
  return taskChangeTypes.has(event.type)
}
