import type { TaskflowEvent } from '#kit'

// Which events notify anyone, and about what. Everything else on the topic is acknowledged and
// ignored: task updates that change neither the assignee nor the due date would only be noise.

/** The event kinds a user can switch channels for (the keys of their preferences). */
export const notificationKinds = ['task.created', 'task.updated', 'task.completed', 'reminder.due'] as const
export type NotificationKind = (typeof notificationKinds)[number]

/** What one event tells people, before it is split per recipient and channel. */
export type NotificationTrigger = {
  readonly kind: NotificationKind
  readonly taskId: string
  readonly title: string
  readonly message: string
  /** Everyone concerned, in order, possibly with repeats; the actor is removed later. */
  readonly people: readonly (string | null)[]
}

export function triggerOf(event: TaskflowEvent): NotificationTrigger | null {
  switch (event.type) {
    case 'dev.taskflow.task.created': {
      const { task } = (event as TaskflowEvent<'dev.taskflow.task.created'>).data
      return {
        kind: 'task.created',
        taskId: task.id,
        title: task.title,
        message: task.assignee === null ? 'New task' : `New task assigned to ${task.assignee}`,
        people: [task.assignee, ...task.watchers, task.createdBy],
      }
    }
    case 'dev.taskflow.task.updated': {
      const { task, changes } = (event as TaskflowEvent<'dev.taskflow.task.updated'>).data
      const parts: string[] = []
      if (changes.assignee !== undefined) {
        parts.push(task.assignee === null ? 'Unassigned' : `Assigned to ${task.assignee}`)
      }
      if (changes.dueAt !== undefined) {
        parts.push(task.dueAt === null ? 'Due date removed' : `Due ${task.dueAt}`)
      }
      if (parts.length === 0) return null
      // The previous assignee hears that the task left them.
      const previousAssignee =
        typeof changes.assignee?.previous === 'string' ? changes.assignee.previous : null
      return {
        kind: 'task.updated',
        taskId: task.id,
        title: task.title,
        message: parts.join('; '),
        people: [task.assignee, previousAssignee, ...task.watchers, task.createdBy],
      }
    }
    case 'dev.taskflow.task.completed': {
      const { task } = (event as TaskflowEvent<'dev.taskflow.task.completed'>).data
      return {
        kind: 'task.completed',
        taskId: task.id,
        title: task.title,
        message: 'Task completed',
        people: [task.assignee, ...task.watchers, task.createdBy],
      }
    }
    case 'dev.taskflow.reminder.due': {
      const data = (event as TaskflowEvent<'dev.taskflow.reminder.due'>).data
      return {
        kind: 'reminder.due',
        taskId: data.taskId,
        title: data.title,
        message: data.dueAt === null ? 'Reminder' : `Reminder: due ${data.dueAt}`,
        people: [data.assignee, ...data.watchers, data.createdBy],
      }
    }
    default:
      return null
  }
}

/** The people to notify: each once, in first-seen order, never the one who made the change. */
export function recipientsOf(people: readonly (string | null)[], actor: string | undefined): string[] {
  const recipients = new Set<string>()
  for (const person of people) {
    if (person !== null && person !== '' && person !== actor) recipients.add(person)
  }
  return [...recipients]
}
