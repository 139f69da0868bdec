import type { TaskChangeEvent } from '#kit'

// What one task event means for the task's reminder. The KafkaSource is `ordered` (one partition key
// per task, one event in flight per partition), so a task's events arrive in order; the version
// check in the store still guards against a redelivered older event undoing a newer schedule.

/** The task's reminder state after one event: its time (null: none) and what the reminder will say. */
export type ReminderSchedule = {
  readonly taskId: string
  readonly taskVersion: number
  /** null cancels: no remindAt, or the task is done or deleted. */
  readonly remindAt: Date | null
  readonly title: string
  readonly dueAt: Date | null
  readonly assignee: string | null
  readonly watchers: readonly string[]
  readonly createdBy: string
  /** The id of the event that set this state, the reminder's causationid. */
  readonly scheduledBy: string
  readonly correlationId: string | null
}

/**
 * Every task event carries the whole task, so the schedule is read from the snapshot rather than
 * from `changes`: created or updated with a remindAt schedules (or reschedules), an update that
 * clears it cancels, and a completed, deleted or done task has no reminder. A remindAt already past
 * is kept as it is: the next tick finds it due and fires it at once.
 */
export function reminderScheduleOf(event: TaskChangeEvent): ReminderSchedule {
  const task = event.data.task
  const ended =
    event.type === 'dev.taskflow.task.completed' ||
    event.type === 'dev.taskflow.task.deleted' ||
    task.status === 'done'
  return {
    taskId: task.id,
    taskVersion: task.version,
    remindAt: ended || task.remindAt === null ? null : new Date(task.remindAt),
    title: task.title,
    dueAt: task.dueAt === null ? null : new Date(task.dueAt),
    assignee: task.assignee,
    watchers: task.watchers,
    createdBy: task.createdBy,
    scheduledBy: event.id,
    correlationId: event.correlationid ?? null,
  }
}
