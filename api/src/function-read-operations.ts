// The routes function-reads.ts forwards to the audit-log and notification-fanout functions, as
// documented in /openapi.json: the functions' parameters and answers, plus what the API answers itself
// (authentication, body checks, stream limits, a function that is absent, down or slow).
import { z } from 'zod'
import {
  auditPageSchema,
  auditSearchQuerySchema,
  auditTrailQuerySchema,
  notificationListQuerySchema,
  notificationPageSchema,
  preferencesInputSchema,
  preferencesSchema,
} from './function-read-schemas.ts'
import { type ApiOperation, authenticatedProblems, problem } from './operation-docs.ts'
import { emptyBodySchema } from './tasks/task-schemas.ts'

const forwarded = {
  ...authenticatedProblems,
  '504': problem('The function did not answer in time'),
}
const invalidQuery = { '400': problem('Invalid query parameter or cursor; `errors` names each') }
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
})
const bodyProblems = {
  '413': problem('Body too large'),
  '415': problem('Body is not application/json'),
}

export const functionReadOperations: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/tasks/{id}/audit',
    operation: {
      operationId: 'getTaskAuditTrail',
      tags: ['Audit'],
      summary: 'A task’s audit trail, oldest change first (from the audit-log function)',
      requestParams: {
        path: z.object({ id: z.uuid().meta({ description: 'Task id' }) }),
        query: auditTrailQuerySchema,
      },
      responses: {
        '200': json('One page of the trail', auditPageSchema),
        ...invalidQuery,
        '404': problem('No trail of this task for you (unknown and not yours look the same)'),
        ...forwarded,
      },
    },
  },
  {
    method: 'get',
    path: '/audit',
    operation: {
      operationId: 'searchAudit',
      tags: ['Audit'],
      summary: 'Search the audit log of the tasks you may read, newest change first',
      requestParams: { query: auditSearchQuerySchema },
      responses: {
        '200': json('One page of entries', auditPageSchema),
        ...invalidQuery,
        ...forwarded,
      },
    },
  },
  {
    method: 'get',
    path: '/notifications',
    operation: {
      operationId: 'listNotifications',
      tags: ['Notifications'],
      summary: 'Your in-app notifications, newest first (from the notification-fanout function)',
      requestParams: { query: notificationListQuerySchema },
      responses: {
        '200': json('One page, with your unread count', notificationPageSchema),
        ...invalidQuery,
        ...forwarded,
      },
    },
  },
  {
    method: 'get',
    path: '/notifications/stream',
    operation: {
      operationId: 'streamNotifications',
      tags: ['Notifications'],
      summary: 'Your new notifications as they come, as Server-Sent Events',
      description: [
        'Each notification is one event: `id: <seq>`, `event: notification` and `data:` a',
        '[Notification](#/components/schemas/Notification) as JSON. Comment lines (`: heartbeat`) keep the',
        'connection open; `retry: 3000` asks for a reconnection after 3 s. Reconnecting with `Last-Event-ID`',
        '(EventSource does it) resumes after that notification. The stream ends when the token that',
        'opened it expires: reconnect with a fresh one. Use `curl -N` or EventSource: the "Try it out"',
        'button waits for the end of the stream.',
      ].join(' '),
      requestParams: {
        header: z.object({
          'Last-Event-ID': z
            .string()
            .optional()
            .meta({ description: 'The `id` of the last event you received: resume after it' }),
        }),
      },
      responses: {
        '200': {
          description: 'The stream (`Cache-Control: no-cache`)',
          content: {
            'text/event-stream': {
              schema: z.string().meta({
                description: 'Server-Sent Events; each event’s data is a Notification',
                example:
                  'retry: 3000\n: connected\n\nid: 42\nevent: notification\ndata: {"id":"…","seq":"42","kind":"task.updated",…}\n\n',
              }),
            },
          },
        },
        '429': problem('You hold as many open streams as you may (or this server does); see Retry-After'),
        ...forwarded,
      },
    },
  },
  {
    method: 'get',
    path: '/notifications/preferences',
    operation: {
      operationId: 'getNotificationPreferences',
      tags: ['Notifications'],
      summary: 'Your notification preferences (channels per kind, email, webhook, quiet hours)',
      responses: { '200': json('Your preferences', preferencesSchema), ...forwarded },
    },
  },
  {
    method: 'put',
    path: '/notifications/preferences',
    operation: {
      operationId: 'putNotificationPreferences',
      tags: ['Notifications'],
      summary: 'Replace your notification preferences',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: preferencesInputSchema } },
      },
      responses: {
        '200': json('The preferences as stored', preferencesSchema),
        '400': problem('Invalid preferences or JSON; `errors` names each field'),
        ...bodyProblems,
        ...forwarded,
      },
    },
  },
  {
    method: 'post',
    path: '/notifications/{id}/read',
    operation: {
      operationId: 'markNotificationRead',
      tags: ['Notifications'],
      summary: 'Mark one of your notifications read (the first read time stays)',
      requestParams: { path: z.object({ id: z.uuid().meta({ description: 'Notification id' }) }) },
      requestBody: {
        required: false,
        description: 'None, or `{}`',
        content: { 'application/json': { schema: emptyBodySchema } },
      },
      responses: {
        '204': { description: 'Marked read' },
        '400': problem('A body with fields'),
        '404': problem('No such notification of yours'),
        ...bodyProblems,
        ...forwarded,
      },
    },
  },
]
