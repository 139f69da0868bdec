import { z } from 'zod'
import { type EventType, EventTypes } from './event-types.ts'

// Offsets are accepted because producers other than Node's toISOString() (PostgreSQL, Java) emit them.
const isoDateTime = z.iso.datetime({ offset: true })

export const taskStatusSchema = z.enum(['open', 'in_progress', 'done'])
export const taskPrioritySchema = z.enum(['low', 'normal', 'high', 'urgent'])

/** The full state of a task as the Task API stored it; every task event carries one. */
export const taskSnapshotSchema = z.object({
  id: z.uuid(),
  title: z.string().min(1),
  description: z.string().nullable(),
  status: taskStatusSchema,
  priority: taskPrioritySchema,
  dueAt: isoDateTime.nullable(),
  remindAt: isoDateTime.nullable(),
  assignee: z.string().min(1).nullable(),
  watchers: z.array(z.string().min(1)),
  tags: z.array(z.string().min(1)),
  createdBy: z.string().min(1),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  version: z.int().min(1),
})
export type TaskSnapshot = z.infer<typeof taskSnapshotSchema>

/** The task fields a client can change; `task.updated` names each changed one. */
export const changeableTaskFields = [
  'title',
  'description',
  'status',
  'priority',
  'dueAt',
  'remindAt',
  'assignee',
  'watchers',
  'tags',
] as const
export type ChangeableTaskField = (typeof changeableTaskFields)[number]

// The value types a task field can hold, so a change is as precisely typed as JSON Schema allows.
const taskFieldValueSchema = z.union([z.string(), z.number(), z.array(z.string()), z.null()])

export const taskChangesSchema = z
  .partialRecord(
    z.enum(changeableTaskFields),
    z.object({ previous: taskFieldValueSchema, current: taskFieldValueSchema }),
  )
  .refine((changes) => Object.keys(changes).length > 0, { message: 'at least one change is required' })

export const taskCreatedDataSchema = z.object({ task: taskSnapshotSchema })
export const taskUpdatedDataSchema = z.object({ task: taskSnapshotSchema, changes: taskChangesSchema })
export const taskCompletedDataSchema = z.object({
  task: taskSnapshotSchema.extend({ status: z.literal('done') }),
  completedAt: isoDateTime,
})
/** A deleted task's last state, so consumers need no lookup of a row that is gone. */
export const taskDeletedDataSchema = z.object({ task: taskSnapshotSchema })
export const reminderDueDataSchema = z.object({
  taskId: z.uuid(),
  title: z.string().min(1),
  remindAt: isoDateTime,
  dueAt: isoDateTime.nullable(),
  assignee: z.string().min(1).nullable(),
  watchers: z.array(z.string().min(1)),
  createdBy: z.string().min(1),
})
export const notificationChannelSchema = z.enum(['in_app', 'webhook', 'email'])
export const notificationSentDataSchema = z.object({
  notificationId: z.string().min(1),
  recipient: z.string().min(1),
  channel: notificationChannelSchema,
  taskId: z.uuid(),
  /** The `id` of the event that caused this notification (a task or reminder event). */
  causeEventId: z.string().min(1),
})

export const eventDataSchemas = {
  [EventTypes.TaskCreated]: taskCreatedDataSchema,
  [EventTypes.TaskUpdated]: taskUpdatedDataSchema,
  [EventTypes.TaskCompleted]: taskCompletedDataSchema,
  [EventTypes.TaskDeleted]: taskDeletedDataSchema,
  [EventTypes.ReminderDue]: reminderDueDataSchema,
  [EventTypes.NotificationSent]: notificationSentDataSchema,
} as const satisfies { [T in EventType]: z.ZodType }

export type EventData<T extends EventType> = z.output<(typeof eventDataSchemas)[T]>
