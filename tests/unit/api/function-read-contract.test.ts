import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type auditEntrySchema,
  type auditPageSchema,
  notificationKinds,
  type notificationPageSchema,
  preferencesInputSchema,
} from '../../../api/src/function-read-schemas.ts'
import { openApiDocument } from '../../../api/src/openapi.ts'
import type { AuditEntryView, AuditPage } from '../../../functions/audit-log/src/audit-queries.ts'
import {
  type NotificationPage,
  notificationView,
} from '../../../functions/notification-fanout/src/notification-store.ts'
import { notificationKinds as functionNotificationKinds } from '../../../functions/notification-fanout/src/notification-trigger.ts'
import {
  preferencesSchema as functionPreferencesSchema,
  visiblePreferences,
} from '../../../functions/notification-fanout/src/preferences.ts'

// The routes the API forwards are documented from api/src/function-read-schemas.ts, a restatement of
// the functions' contract (the API image holds no function code): held here to the functions' own
// schemas, types and answers, so the reference cannot drift from what the functions do.

const document = openApiDocument()
const ajv = new Ajv2020({ strict: false })
addFormats.default(ajv)
ajv.addSchema({ $id: 'openapi', components: document.components })
const documented = (name: string) => ajv.compile({ $ref: `openapi#/components/schemas/${name}` })

/** A JSON Schema without its prose (descriptions, examples, ids: the metadata): what a request must be. */
const shapeOf = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', metadata: z.registry() })

describe('the documented contract of the forwarded reads', () => {
  it('takes the preferences the notification-fanout function parses', () => {
    expect(shapeOf(preferencesInputSchema)).toEqual(shapeOf(functionPreferencesSchema))
    expect(notificationKinds).toEqual(functionNotificationKinds)
  })

  it('answers preferences reads as the function shows them', () => {
    const validate = documented('NotificationPreferences')
    const full = functionPreferencesSchema.parse({
      timeZone: 'Europe/Paris',
      quietHours: { start: '22:00', end: '07:00' },
      email: { address: 'bob@example.com' },
      webhook: { url: 'https://hooks.example.com/t', secret: 'a-secret-of-16-chars' },
      channels: { 'task.updated': { email: false } },
    })
    for (const preferences of [functionPreferencesSchema.parse({}), full]) {
      expect(validate(visiblePreferences(preferences)), JSON.stringify(validate.errors)).toBe(true)
    }
  })

  it('answers notifications as the function lists them', () => {
    const validate = documented('Notification')
    const view = notificationView({
      seq: '42',
      id: '0190f5d6-1c3a-5cc1-8a55-6a6fbfb2b6f1',
      recipient: 'bob',
      kind: 'task.updated',
      task_id: '0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1',
      title: 'Write the docs',
      message: 'alice changed the title',
      cause_event_id: '0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f2',
      cause_event_source: '/taskflow/api',
      occurred_at: '2026-12-01T09:00:00.000Z',
      created_at: new Date('2026-12-01T09:00:01.000Z'),
      read_at: null,
    })
    expect(validate(view), JSON.stringify(validate.errors)).toBe(true)
    const { recipient: _recipient, ...streamed } = view
    expect(validate(streamed), JSON.stringify(validate.errors)).toBe(true)
  })

  it('names the fields the functions answer with', () => {
    expectTypeOf<keyof z.infer<typeof auditEntrySchema>>().toEqualTypeOf<keyof AuditEntryView>()
    expectTypeOf<keyof z.infer<typeof auditPageSchema>>().toEqualTypeOf<keyof AuditPage>()
    expectTypeOf<keyof z.infer<typeof notificationPageSchema>>().toEqualTypeOf<keyof NotificationPage>()
  })
})
