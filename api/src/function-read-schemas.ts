// The HTTP contract of the routes the API forwards to the audit-log and notification-fanout functions
// (function-reads.ts), as zod schemas for /openapi.json. The functions own these shapes and check the
// requests themselves (functions/audit-log/src/audit-http.ts, functions/notification-fanout/src/
// notification-http.ts, preferences.ts): the API image holds no function code, so the contract is
// restated here, and tests/unit/api/function-read-contract.test.ts holds it to the functions' schemas.
// Event payloads are the event contract's own schemas (events/).
import { z } from 'zod'
import 'zod-openapi'
import { EventTypes, eventDataSchemas } from '../../events/src/index.ts'
import { nextCursorSchema } from './tasks/task-schemas.ts'

const isoDateTime = z.iso.datetime({ offset: true })
const cursor = z.string().min(1).max(200).meta({ description: 'The `nextCursor` of the previous page' })
const limit = (pageSize: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .meta({ description: `Page size, at most the function's ${pageSize} (the default)` })
const textFilter = z.string().min(1).max(200)

// --- audit-log -------------------------------------------------------------------------------------

export const auditTrailQuerySchema = z.object({
  cursor: cursor.optional(),
  limit: limit('AUDIT_PAGE_SIZE').optional(),
})

export const auditSearchQuerySchema = z.object({
  actor: textFilter.optional().meta({ description: 'Only changes made by this user' }),
  type: textFilter.optional().meta({ description: 'Only this event type', example: EventTypes.TaskUpdated }),
  from: isoDateTime.optional().meta({ description: 'Changes at or after this time' }),
  to: isoDateTime.optional().meta({ description: 'Changes before this time' }),
  ...auditTrailQuerySchema.shape,
})

/** The audit log records every task change event. */
const auditedEventTypes = [
  EventTypes.TaskCreated,
  EventTypes.TaskUpdated,
  EventTypes.TaskCompleted,
  EventTypes.TaskDeleted,
] as const

export const auditEntrySchema = z
  .object({
    seq: z.string().meta({ description: 'Position in the log (a decimal integer); grows with each entry' }),
    eventId: z.string().meta({ description: 'The CloudEvent `id` the entry records' }),
    type: z.enum(auditedEventTypes),
    taskId: z.uuid(),
    actor: z.string().nullable().meta({ description: 'Who made the change' }),
    time: z.iso.datetime().meta({ description: 'When the change happened (the event `time`)' }),
    recordedAt: z.iso.datetime().meta({ description: 'When the audit log stored it' }),
    correlationId: z.string().nullable(),
    causationId: z.string().nullable(),
    changes: eventDataSchemas[EventTypes.TaskUpdated].shape.changes
      .nullable()
      .meta({ description: 'Previous and current values (updates only)' }),
    data: z
      .union([
        eventDataSchemas[EventTypes.TaskCreated],
        eventDataSchemas[EventTypes.TaskUpdated],
        eventDataSchemas[EventTypes.TaskCompleted],
        eventDataSchemas[EventTypes.TaskDeleted],
      ])
      .meta({ description: 'The event data as published' }),
    hash: z
      .string()
      .meta({ description: 'Covers the entry and `previousHash`: each task’s trail is a hash chain' }),
    previousHash: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' })

export const auditPageSchema = z
  .object({
    entries: z.array(auditEntrySchema),
    nextCursor: nextCursorSchema,
  })
  .meta({ id: 'AuditPage' })

// --- notification-fanout ---------------------------------------------------------------------------

export const notificationKinds = ['task.created', 'task.updated', 'task.completed', 'reminder.due'] as const

export const notificationListQuerySchema = z.object({
  unread: z.enum(['true', 'false']).optional().meta({ description: '`true`: only unread notifications' }),
  cursor: cursor.optional(),
  limit: limit('NOTIFY_PAGE_SIZE').optional(),
})

const notificationSchema = z
  .object({
    id: z.uuid(),
    seq: z.string().meta({ description: 'Position among your notifications; also the stream event `id`' }),
    recipient: z.string().optional().meta({ description: 'You (in the list; stream events leave it out)' }),
    kind: z.enum(notificationKinds),
    taskId: z.uuid(),
    title: z.string(),
    message: z.string(),
    causeEventId: z.string().meta({ description: 'The `id` of the event that caused it' }),
    occurredAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    read: z.boolean(),
    readAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Notification' })

export const notificationPageSchema = z
  .object({
    notifications: z.array(notificationSchema),
    nextCursor: nextCursorSchema,
    unread: z.int().min(0).meta({ description: 'How many of your notifications are unread, in all' }),
  })
  .meta({ id: 'NotificationPage' })

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')
  .meta({ example: '22:00' })
const channelSwitches = z.object({ in_app: z.boolean(), webhook: z.boolean(), email: z.boolean() })

/** What PUT /notifications/preferences takes: the whole preferences (absent fields get their default). */
export const preferencesInputSchema = z
  .object({
    timeZone: z
      .string()
      .min(1)
      .default('UTC')
      .meta({ description: 'IANA time zone of the quiet hours', example: 'Europe/Paris' }),
    quietHours: z.object({ start: clockTime, end: clockTime }).strict().nullable().default(null).meta({
      description: 'Webhook and email are skipped (not deferred) in this span; start and end differ',
    }),
    email: z.object({ address: z.email() }).strict().nullable().default(null),
    webhook: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        secret: z.string().min(16).max(256).meta({
          description: 'Signs each delivery (Standard Webhooks); any text or whsec_<base64>; never read back',
        }),
      })
      .strict()
      .nullable()
      .default(null),
    channels: z
      .partialRecord(z.enum(notificationKinds), channelSwitches.partial().strict())
      .default({})
      .meta({ description: 'Per kind of notification, the channels switched on (each is on by default)' }),
  })
  .strict()
  .meta({ id: 'NotificationPreferencesInput' })

/** What the preferences reads answer: the webhook secret is never shown, every switch is filled in. */
export const preferencesSchema = z
  .object({
    timeZone: z.string(),
    quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
    email: z.object({ address: z.string() }).nullable(),
    webhook: z.object({ url: z.string(), secretSet: z.literal(true) }).nullable(),
    channels: z.record(z.enum(notificationKinds), channelSwitches),
  })
  .meta({ id: 'NotificationPreferences' })
