import fc from 'fast-check'
import type { QueryResultRow } from 'pg'
import { v5 as uuidv5 } from 'uuid'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEvent, EventTypes } from '../../../events/src/index.ts'
import { type DatabaseHandle, openFunctionDatabase } from '../../../function-kit/src/index.ts'
import {
  claimDelivery,
  type DeliveryKey,
  finishDelivery,
} from '../../../functions/notification-fanout/src/delivery-records.ts'
import { notificationIdOf } from '../../../functions/notification-fanout/src/fanout.ts'
import { createFanoutStatements } from '../../../functions/notification-fanout/src/fanout-statements.ts'
import { migrationsFolder } from '../../../functions/notification-fanout/src/notification-fanout.ts'
import type { NotificationTables } from '../../../functions/notification-fanout/src/notification-tables.ts'
import { recipientsOf, triggerOf } from '../../../functions/notification-fanout/src/notification-trigger.ts'
import {
  defaultPreferences,
  isQuietTime,
  planChannels,
  preferencesSchema,
} from '../../../functions/notification-fanout/src/preferences.ts'
import {
  isStandardWebhookSecret,
  signWebhook,
} from '../../../functions/notification-fanout/src/webhook-signature.ts'
import {
  addressPolicy,
  checkWebhookTarget,
  guardedLookup,
  isPrivateAddress,
  RefusedTargetError,
} from '../../../functions/notification-fanout/src/webhook-target-guard.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { taskSnapshot } from '../../support/task-events.ts'

// The fanout's rules as plain functions: who is told, on which channel, when, how webhooks are signed
// and which addresses they may reach; and the delivery record's claim semantics on both databases.

vi.setConfig({ hookTimeout: 60_000 })

describe('recipients', () => {
  it('are assignee, watchers and creator, each once, in that order, without the actor', () => {
    expect(recipientsOf(['bob', 'carol', 'bob', 'alice', null], 'dave')).toEqual(['bob', 'carol', 'alice'])
    expect(recipientsOf(['bob', 'carol', 'alice'], 'carol')).toEqual(['bob', 'alice'])
    expect(recipientsOf([null, 'alice'], 'alice')).toEqual([])
  })

  it('never include the actor and never repeat anyone, whatever the people', () => {
    const name = fc.constantFrom('alice', 'bob', 'carol', 'dave', 'erin')
    fc.assert(
      fc.property(
        fc.array(fc.option(name, { nil: null })),
        fc.option(name, { nil: undefined }),
        (people, actor) => {
          const recipients = recipientsOf(people, actor)
          expect(recipients).not.toContain(actor)
          expect(new Set(recipients).size).toBe(recipients.length)
          for (const person of people)
            if (person !== null && person !== actor) expect(recipients).toContain(person)
        },
      ),
    )
  })
})

describe('triggers', () => {
  const task = taskSnapshot({ assignee: 'bob', watchers: ['carol'], createdBy: 'alice' })
  const updated = (changes: Record<string, { previous: unknown; current: unknown }>, overrides = {}) =>
    createEvent({
      type: EventTypes.TaskUpdated,
      source: '/taskflow/api',
      data: { task: { ...task, ...overrides, version: 2 }, changes: changes as never },
    })

  it('a task update with neither assignee nor due date changed notifies nobody', () => {
    expect(
      triggerOf(updated({ title: { previous: 'a', current: 'b' }, tags: { previous: [], current: ['x'] } })),
    ).toBeNull()
  })

  it('a due date change names the new date; a reassignment tells the previous assignee too', () => {
    const due = triggerOf(
      updated(
        { dueAt: { previous: null, current: '2026-09-01T00:00:00.000Z' } },
        { dueAt: '2026-09-01T00:00:00.000Z' },
      ),
    )
    expect(due).toMatchObject({ kind: 'task.updated', message: 'Due 2026-09-01T00:00:00.000Z' })
    const reassigned = triggerOf(updated({ assignee: { previous: 'zoe', current: 'bob' } }))
    expect(reassigned?.people).toEqual(['bob', 'zoe', 'carol', 'alice'])
  })

  it('a deleted task and a notification.sent trigger nothing', () => {
    expect(
      triggerOf(createEvent({ type: EventTypes.TaskDeleted, source: '/taskflow/api', data: { task } })),
    ).toBeNull()
    const sent = createEvent({
      type: EventTypes.NotificationSent,
      source: '/fanout',
      data: { notificationId: 'n', recipient: 'bob', channel: 'in_app', taskId: task.id, causeEventId: 'e' },
    })
    expect(triggerOf(sent)).toBeNull()
  })
})

describe('preferences', () => {
  const at = (iso: string) => new Date(iso)

  it('default to in-app for everything and skip email and webhook until an address is set', () => {
    expect(planChannels(defaultPreferences, 'task.created', at('2026-08-23T12:00:00Z'))).toEqual([
      { channel: 'in_app', send: true },
      { channel: 'webhook', send: false, reason: 'no-address' },
      { channel: 'email', send: false, reason: 'no-address' },
    ])
    const withEmail = preferencesSchema.parse({ email: { address: 'bob@example.com' } })
    expect(planChannels(withEmail, 'reminder.due', at('2026-08-23T12:00:00Z'))).toContainEqual({
      channel: 'email',
      send: true,
    })
  })

  it('quiet hours across midnight are read on the user wall clock, daylight saving included', () => {
    const newYork = preferencesSchema.parse({
      timeZone: 'America/New_York',
      quietHours: { start: '22:00', end: '07:00' },
    })
    // Summer: UTC-4. 02:30 UTC is 22:30 local (quiet); 11:30 UTC is 07:30 local (not quiet).
    expect(isQuietTime(newYork, at('2026-07-01T02:30:00Z'))).toBe(true)
    expect(isQuietTime(newYork, at('2026-07-01T11:30:00Z'))).toBe(false)
    // Winter: UTC-5. 11:30 UTC is 06:30 local (quiet); 12:00 UTC is 07:00 local (the end is not quiet).
    expect(isQuietTime(newYork, at('2026-01-15T11:30:00Z'))).toBe(true)
    expect(isQuietTime(newYork, at('2026-01-15T12:00:00Z'))).toBe(false)
  })

  it('quiet hours within one day hold from start up to end', () => {
    const lunch = preferencesSchema.parse({ quietHours: { start: '12:00', end: '13:30' } })
    expect(isQuietTime(lunch, at('2026-08-23T11:59:00Z'))).toBe(false)
    expect(isQuietTime(lunch, at('2026-08-23T12:00:00Z'))).toBe(true)
    expect(isQuietTime(lunch, at('2026-08-23T13:29:00Z'))).toBe(true)
    expect(isQuietTime(lunch, at('2026-08-23T13:30:00Z'))).toBe(false)
  })

  it('during quiet hours webhook and email are skipped, in-app is kept, a switched-off channel says so', () => {
    const preferences = preferencesSchema.parse({
      quietHours: { start: '00:00', end: '23:59' },
      email: { address: 'bob@example.com' },
      webhook: { url: 'https://hooks.example.com', secret: 'sixteen-chars-long' },
      channels: { 'task.completed': { webhook: false } },
    })
    expect(planChannels(preferences, 'task.completed', at('2026-08-23T12:00:00Z'))).toEqual([
      { channel: 'in_app', send: true },
      { channel: 'webhook', send: false, reason: 'switched-off' },
      { channel: 'email', send: false, reason: 'quiet-hours' },
    ])
  })

  it('bad preferences name the field', () => {
    const fieldsOf = (input: unknown) => {
      const parsed = preferencesSchema.safeParse(input)
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.'))
    }
    expect(fieldsOf({ quietHours: { start: '07:00', end: '07:00' } })).toEqual(['quietHours.end'])
    expect(fieldsOf({ email: { address: 'not-an-address' } })).toEqual(['email.address'])
    expect(fieldsOf({ webhook: { url: 'ftp://example.com', secret: 'sixteen-chars-long' } })).toEqual([
      'webhook.url',
    ])
    expect(fieldsOf({ webhook: { url: 'https://example.com', secret: 'short' } })).toEqual(['webhook.secret'])
    expect(fieldsOf({ channels: { 'task.deleted': { email: true } } })).toEqual(['channels'])
    expect(fieldsOf({ timeZone: 'Mars/Olympus' })).toEqual(['timeZone'])
    expect(fieldsOf({ volume: 11 })).toEqual([''])
  })
})

describe('webhook signature (Standard Webhooks)', () => {
  it('signs the reference vector of the Standard Webhooks spec (a whsec_ secret)', () => {
    expect(
      signWebhook({
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
  })

  it('uses any other secret as its UTF-8 bytes, so whsec_<base64 of k> and k sign alike', () => {
    const signed = (secret: string) =>
      signWebhook({ secret, id: 'msg_1', timestamp: 1767225600, body: '{"a":1}' })['webhook-signature']
    // Reference: printf 'msg_1.1767225600.{"a":1}' | openssl dgst -sha256 -hmac topsecret-topsecret -binary | base64
    expect(signed('topsecret-topsecret')).toBe('v1,8AKA6JDbLAdzaxvtFQ5QT8B0IXw7nSksZfMe9hgNZR4=')
    const key = 'a-24-byte-key-for-tests!'
    expect(signed(`whsec_${Buffer.from(key).toString('base64')}`)).toBe(signed(key))
  })

  it('preferences refuse a whsec_ secret that is not base64 of at least 24 bytes', () => {
    const secretOf = (secret: string) =>
      preferencesSchema.safeParse({ webhook: { url: 'https://hooks.example.com/x', secret } }).success
    expect(secretOf(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toBe(true)
    expect(secretOf(`whsec_${Buffer.alloc(16, 7).toString('base64')}`)).toBe(false)
    expect(secretOf('whsec_not*base64*at*all*here')).toBe(false)
    expect(secretOf('a plain secret of some length')).toBe(true)
    expect(isStandardWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(true)
  })
})

describe('webhook target guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:10.0.0.1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1:248:1893:25c8:1946', false],
    ['::ffff:93.184.216.34', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected)
  })

  const none = addressPolicy([])
  const resolver = (answers: Record<string, string[]>) => async (host: string) =>
    (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

  it('refuses a host when any of its addresses is private', async () => {
    const resolve = resolver({
      'mixed.example': ['93.184.216.34', '10.0.0.5'],
      'public.example': ['93.184.216.34'],
    })
    expect(await checkWebhookTarget(new URL('https://mixed.example/x'), none, resolve)).toMatchObject({
      ok: false,
    })
    expect(await checkWebhookTarget(new URL('https://public.example/x'), none, resolve)).toEqual({
      ok: true,
      addresses: ['93.184.216.34'],
    })
  })

  it('checks IP literals, bracketed IPv6 included, and lets allow-listed networks through', async () => {
    expect(await checkWebhookTarget(new URL('http://[::1]:8080/'), none)).toMatchObject({ ok: false })
    expect(await checkWebhookTarget(new URL('http://127.0.0.1:9/'), none)).toMatchObject({ ok: false })
    const loopback = addressPolicy(['127.0.0.1/32', '::1'])
    expect(await checkWebhookTarget(new URL('http://127.0.0.1:9/'), loopback)).toMatchObject({ ok: true })
    expect(await checkWebhookTarget(new URL('http://[::1]:9/'), loopback)).toMatchObject({ ok: true })
    expect(await checkWebhookTarget(new URL('http://127.0.0.2:9/'), loopback)).toMatchObject({ ok: false })
    expect(() => addressPolicy(['example.com'])).toThrow(TypeError)
  })

  it('the connect-time lookup refuses a name that resolves to loopback', async () => {
    const lookup = guardedLookup(none)
    const error = await new Promise<Error | null>((resolve) =>
      lookup('localhost', { all: false }, (err) => resolve(err)),
    )
    expect(error).toBeInstanceOf(RefusedTargetError)
  })
})

await describeEachDatabase('delivery records', (backend) => {
  let handle: DatabaseHandle<NotificationTables>
  const db = () => handle.db.withSchema('notifications')
  let counter = 0
  const key = (): DeliveryKey => ({
    eventSource: '/test',
    eventId: `e-${counter++}`,
    recipient: 'bob',
    channel: 'webhook',
  })

  // Declared before the database opens, as the function does: each run prepares on the open handle.
  const statements = createFanoutStatements(
    'notifications',
    <Row extends QueryResultRow>(name: string, text: string) =>
      (values: unknown[]) =>
        handle.prepared<Row>(name, text)(values),
  )
  /** A channel decided without sending, stored as the fan-out stores it. */
  const recordFinalDelivery = (
    delivery: DeliveryKey,
    notificationId: string,
    status: 'delivered' | 'skipped',
    detail: string | null = null,
  ) =>
    statements.storeFinals(
      { source: delivery.eventSource, id: delivery.eventId },
      [],
      [{ key: delivery, notificationId, status, detail }],
    )

  beforeAll(async () => {
    handle = await openFunctionDatabase<NotificationTables>({
      url: backend.url,
      schema: 'notifications',
      migrationsFolder,
      applicationName: 'delivery-records-test',
    })
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('the first attempt claims; a concurrent second attempt does not', async () => {
    const delivery = key()
    const claims = await Promise.all([
      claimDelivery(db(), delivery, 'n', 60_000),
      claimDelivery(db(), delivery, 'n', 60_000),
    ])
    expect(claims.sort()).toEqual([false, true])
  })

  it('a delivered, failed or skipped record is never claimed again', async () => {
    for (const status of ['delivered', 'failed'] as const) {
      const delivery = key()
      expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(true)
      await finishDelivery(db(), delivery, { status })
      expect(await claimDelivery(db(), delivery, 'n', 0)).toBe(false)
    }
    const skipped = key()
    await recordFinalDelivery(skipped, 'n', 'skipped', 'quiet-hours')
    expect(await claimDelivery(db(), skipped, 'n', 0)).toBe(false)
  })

  it('a pending record (transient failure) is claimed again and counts the attempt', async () => {
    const delivery = key()
    expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(true)
    await finishDelivery(db(), delivery, { status: 'pending', detail: 'answered 503' })
    expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(true)
    const row = await db()
      .selectFrom('deliveries')
      .select(['attempts', 'status'])
      .where('event_id', '=', delivery.eventId)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ attempts: 2, status: 'in_flight' })
  })

  it('an in-flight claim is taken over only after its lease', async () => {
    const delivery = key()
    expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(true)
    expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(false)
    await db()
      .updateTable('deliveries')
      .set({ claimed_at: new Date(Date.now() - 120_000) })
      .where('event_id', '=', delivery.eventId)
      .execute()
    expect(await claimDelivery(db(), delivery, 'n', 60_000)).toBe(true)
  })

  it('recording a final delivery never overwrites an existing record', async () => {
    const delivery = key()
    expect(await recordFinalDelivery(delivery, 'n', 'delivered')).toHaveLength(1)
    expect(await recordFinalDelivery(delivery, 'n', 'skipped', 'quiet-hours')).toEqual([])
    const row = await db()
      .selectFrom('deliveries')
      .select(['status'])
      .where('event_id', '=', delivery.eventId)
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('delivered')
  })
})

describe('notification ids', () => {
  const event = { source: '/taskflow/api', id: '0193a4f0-0000-7000-8000-000000000000' }

  it('are the UUIDv5 of source, id and recipient in a fixed namespace (stored ids never change)', () => {
    const namespace = '5b0c7a52-3f0e-4c47-9b8e-6f4f1d2f6a11'
    expect(notificationIdOf(event, 'bob')).toBe(uuidv5(`${event.source}\n${event.id}\nbob`, namespace))
  })

  it('are derived even from a lone surrogate (a JSON "\\ud800" escape), as from its U+FFFD', () => {
    expect(() => notificationIdOf(event, 'bob\ud800')).not.toThrow()
    expect(notificationIdOf({ ...event, id: 'x\udfff' }, 'bob')).toBe(
      notificationIdOf({ ...event, id: 'x\ufffd' }, 'bob'),
    )
  })
})
