import { v5 as uuidv5 } from 'uuid'
import { createEvent, EventTypes, type TaskflowEvent } from '#kit'

// The dev.taskflow.reminder.due event of one claimed reminder. Everything in it is derived from the
// stored row, so a retry after a lost answer (or after a crashed tick's claim lapsed) sends the
// same event again, and downstream dedupes it by (source, id) as CloudEvents allows.

export const reminderEventSource = '/taskflow/reminders'

// UUIDv5 (name-based, RFC 9562) under a namespace of our own: the same task and time always give
// the same id, and a different remindAt of the same task a different one.
const reminderIdNamespace = uuidv5(
  'https://schemas.taskflow.dev/events/dev.taskflow.reminder.due',
  uuidv5.URL,
)

/** The deterministic CloudEvent id of the reminder of `taskId` at `remindAt`. */
export function reminderEventId(taskId: string, remindAt: Date): string {
  return uuidv5(`${taskId.toLowerCase()}/${remindAt.toISOString()}`, reminderIdNamespace)
}

/** What the store hands back for one claimed reminder. */
export type DueReminder = {
  readonly taskId: string
  readonly remindAt: Date
  readonly title: string
  readonly dueAt: Date | null
  readonly assignee: string | null
  readonly watchers: readonly string[]
  readonly createdBy: string
  readonly scheduledBy: string
  readonly correlationId: string | null
}

export function reminderDueEvent(reminder: DueReminder): TaskflowEvent<'dev.taskflow.reminder.due'> {
  return createEvent({
    type: EventTypes.ReminderDue,
    source: reminderEventSource,
    id: reminderEventId(reminder.taskId, reminder.remindAt),
    // The occurrence is the reminder coming due, not the tick that noticed it: this also keeps the
    // event identical across retries.
    time: reminder.remindAt,
    data: {
      taskId: reminder.taskId,
      title: reminder.title,
      remindAt: reminder.remindAt.toISOString(),
      dueAt: reminder.dueAt === null ? null : reminder.dueAt.toISOString(),
      assignee: reminder.assignee,
      watchers: [...reminder.watchers],
      createdBy: reminder.createdBy,
    },
    causationId: reminder.scheduledBy,
    ...(reminder.correlationId === null ? {} : { correlationId: reminder.correlationId }),
  })
}
