import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createEvent, EventTypes, httpCodec, type TaskSnapshot } from '../../../events/src/index.ts'
import { readNotificationFanoutConfig } from '../../../functions/notification-fanout/src/config.ts'
import { notificationIdOf, sentEventIdOf } from '../../../functions/notification-fanout/src/fanout.ts'
import {
  createNotificationFanout,
  type NotificationFanoutFunction,
} from '../../../functions/notification-fanout/src/notification-fanout.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { eventContext, readContext, taskCreated, taskSnapshot } from '../../support/task-events.ts'
import { verifyWebhook } from '../../support/webhook-receiver.ts'

// handle() called directly, as faas-js-runtime would, on both database backends, with a real
// webhook receiver and a real K_SINK receiver on loopback (allow-listed for the webhook guard).

vi.setConfig({ hookTimeout: 60_000, testTimeout: 20_000 })

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`
const secret = 'a-webhook-secret-of-some-length'

await describeEachDatabase('notification-fanout handle()', (backend) => {
  let fanout: NotificationFanoutFunction
  // Both answer the queued statuses (then 200) and keep every request.
  let webhook: RecordingSink
  let sink: RecordingSink
  let now = new Date('2026-08-23T12:00:00.000Z')

  beforeAll(async () => {
    webhook = await startRecordingSink({ path: '/hook', status: 200 })
    sink = await startRecordingSink({ path: '/hook', status: 200 })
    fanout = createNotificationFanout({
      config: readNotificationFanoutConfig({
        DATABASE_URL: backend.url,
        K_SINK: sink.url,
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        NOTIFY_PAGE_SIZE: '2',
      }),
      now: () => now,
    })
    await fanout.init()
  })
  afterAll(async () => {
    await fanout?.shutdown()
    await webhook?.close()
    await sink?.close()
  })

  async function notificationsOf(recipient: string): Promise<{ id: string; cause_event_id: string }[]> {
    const result = await backend.query(
      'select id, cause_event_id from notifications.notifications where recipient = $1 order by seq',
      [recipient],
    )
    return result.rows
  }
  async function deliveriesOf(
    eventId: string,
  ): Promise<{ recipient: string; channel: string; status: string; detail: string | null }[]> {
    const result = await backend.query(
      'select recipient, channel, status, detail from notifications.deliveries where event_id = $1 order by recipient, channel',
      [eventId],
    )
    return result.rows
  }
  async function putPreferences(userId: string, body: unknown) {
    return fanout.handle({ ...readContext(userId, { view: 'preferences' }), method: 'POST', body }, body)
  }
  function people(): { alice: string; bob: string; carol: string; task: TaskSnapshot } {
    const [alice, bob, carol] = [unique('alice'), unique('bob'), unique('carol')]
    return {
      alice,
      bob,
      carol,
      task: taskSnapshot({ createdBy: alice, assignee: bob, watchers: [carol, bob] }),
    }
  }

  it('notifies assignee, watchers and creator once each, never the actor', async () => {
    const { alice, bob, carol, task } = people()
    const event = taskCreated(task, alice)
    const response = await fanout.handle(eventContext, event)
    expect(response.statusCode).toBe(200)
    expect((response.body as { recipients: string[] }).recipients).toEqual([bob, carol])
    expect(await notificationsOf(bob)).toEqual([
      { id: notificationIdOf(event, bob), cause_event_id: event.id },
    ])
    expect(await notificationsOf(carol)).toHaveLength(1)
    expect(await notificationsOf(alice)).toHaveLength(0)
  })

  it('events arriving together are fanned out together, each once, a redelivery among them without a second effect', async () => {
    const events = Array.from({ length: 10 }, () => {
      const { alice, bob, carol, task } = people()
      return { bob, carol, event: taskCreated(task, alice) }
    })
    const announcedBefore = sink.requests.length
    const responses = await Promise.all(
      [...events.map(({ event }) => event), { ...events[0]!.event }].map((event) =>
        fanout.handle(eventContext, event),
      ),
    )
    // The redelivery ran beside its original (neither saw the other's inbox row): 2xx, no second effect.
    expect(responses.every((response) => response.statusCode === 200 || response.statusCode === 204)).toBe(
      true,
    )
    for (const { bob, carol, event } of events) {
      expect(await notificationsOf(bob)).toEqual([
        { id: notificationIdOf(event, bob), cause_event_id: event.id },
      ])
      expect(await notificationsOf(carol)).toHaveLength(1)
    }
    // One notification.sent per in-app delivery: bob and carol of each event, none twice.
    expect(sink.requests.length - announcedBefore).toBe(events.length * 2)
  })

  it('redelivered event has no second effect: no row, no webhook, no notification.sent', async () => {
    const { alice, bob, task } = people()
    expect((await putPreferences(bob, { webhook: { url: webhook.url, secret } })).statusCode).toBe(200)
    const event = taskCreated(task, alice)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(200)
    const webhooks = webhook.requests.length
    const announced = sink.requests.length
    const again = await fanout.handle(eventContext, { ...event })
    expect(again.statusCode).toBe(204)
    expect(await notificationsOf(bob)).toHaveLength(1)
    expect(webhook.requests.length).toBe(webhooks)
    expect(sink.requests.length).toBe(announced)
  })

  it('a task update notifies only when the assignee or due date changed', async () => {
    const { alice, bob, carol, task } = people()
    const titleOnly = createEvent({
      type: EventTypes.TaskUpdated,
      source: '/taskflow/api',
      actor: alice,
      data: {
        task: { ...task, title: 'renamed', version: 2 },
        changes: { title: { previous: task.title, current: 'renamed' } },
      },
    })
    expect((await fanout.handle(eventContext, titleOnly)).statusCode).toBe(204)
    expect(await notificationsOf(bob)).toHaveLength(0)

    const dave = unique('dave')
    const reassigned = createEvent({
      type: EventTypes.TaskUpdated,
      source: '/taskflow/api',
      actor: carol,
      data: {
        task: { ...task, assignee: dave, version: 3 },
        changes: { assignee: { previous: bob, current: dave } },
      },
    })
    const response = await fanout.handle(eventContext, reassigned)
    expect(response.statusCode).toBe(200)
    // The new and the previous assignee, the watchers and the creator; not carol, who made the change.
    expect((response.body as { recipients: string[] }).recipients).toEqual([dave, bob, alice])
  })

  it('a completed task and a due reminder notify their people', async () => {
    const { alice, bob, carol, task } = people()
    const completed = createEvent({
      type: EventTypes.TaskCompleted,
      source: '/taskflow/api',
      actor: bob,
      data: { task: { ...task, status: 'done', version: 2 }, completedAt: '2026-08-23T11:00:00.000Z' },
    })
    expect((await fanout.handle(eventContext, completed)).body).toMatchObject({ recipients: [carol, alice] })
    const reminder = createEvent({
      type: EventTypes.ReminderDue,
      source: '/taskflow/reminders',
      data: {
        taskId: task.id,
        title: task.title,
        remindAt: '2026-08-23T09:00:00.000Z',
        dueAt: '2026-08-24T09:00:00.000Z',
        assignee: bob,
        watchers: [carol],
        createdBy: alice,
      },
    })
    expect((await fanout.handle(eventContext, reminder)).body).toMatchObject({
      recipients: [bob, carol, alice],
    })
    expect((await notificationsOf(bob)).map((row) => row.cause_event_id)).toEqual([reminder.id])
  })

  it('other valid event types are acknowledged with 204 and notify nobody', async () => {
    const { bob, task } = people()
    const deleted = createEvent({ type: EventTypes.TaskDeleted, source: '/taskflow/api', data: { task } })
    expect((await fanout.handle(eventContext, deleted)).statusCode).toBe(204)
    expect(await notificationsOf(bob)).toHaveLength(0)
  })

  it('an unknown type is 400 and data failing its schema 422, naming the field', async () => {
    const { task } = people()
    const unknown = await fanout.handle(eventContext, {
      ...taskCreated(task),
      type: 'dev.taskflow.task.archived',
    })
    expect(unknown.statusCode).toBe(400)
    const poison = await fanout.handle(eventContext, {
      ...taskCreated(task),
      data: { task: { ...task, watchers: 'all' } },
    })
    expect(poison.statusCode).toBe(422)
    expect(JSON.stringify(poison.body)).toContain('data.task.watchers')
  })

  it('sends a signed webhook and an email to recipients who configured them', async () => {
    const { alice, bob, task } = people()
    await putPreferences(bob, {
      webhook: { url: webhook.url, secret },
      email: { address: 'bob@example.com' },
    })
    const before = webhook.requests.length
    const emails = fanout.recordedEmails.length
    const event = taskCreated(task, alice)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(200)
    const hook = webhook.requests.slice(before)
    expect(hook).toHaveLength(1)
    const payload = JSON.parse(hook[0]!.body)
    expect(payload).toMatchObject({
      notificationId: notificationIdOf(event, bob),
      recipient: bob,
      taskId: task.id,
    })
    expect(
      verifyWebhook({ secret, headers: hook[0]!.headers, body: hook[0]!.body, nowSeconds: +now / 1000 }),
    ).toEqual({ ok: true, id: sentEventIdOf(notificationIdOf(event, bob), 'webhook') })
    expect(fanout.recordedEmails.slice(emails)).toEqual([
      expect.objectContaining({ to: 'bob@example.com', subject: expect.stringContaining(task.title) }),
    ])
  })

  it('a webhook 5xx answers 503; the retry sends only the webhook', async () => {
    const { alice, bob, task } = people()
    await putPreferences(bob, {
      webhook: { url: webhook.url, secret },
      email: { address: 'bob@example.com' },
    })
    const event = taskCreated(task, alice)
    const emails = fanout.recordedEmails.length
    const hooks = webhook.requests.length
    webhook.statuses.push(503)
    const first = await fanout.handle(eventContext, event)
    expect(first.statusCode).toBe(503)
    expect(JSON.stringify(first.body)).toContain(`webhook to ${bob}`)
    expect(await deliveriesOf(event.id)).toContainEqual(
      expect.objectContaining({ recipient: bob, channel: 'webhook', status: 'pending' }),
    )
    const second = await fanout.handle(eventContext, event)
    expect(second.statusCode).toBe(200)
    expect(webhook.requests.length - hooks).toBe(2)
    // Both attempts are one delivery to the receiver: the same webhook-id, each freshly signed.
    const attempts = webhook.requests.slice(hooks)
    expect(attempts.map((attempt) => attempt.headers['webhook-id'])).toEqual([
      sentEventIdOf(notificationIdOf(event, bob), 'webhook'),
      sentEventIdOf(notificationIdOf(event, bob), 'webhook'),
    ])
    expect(fanout.recordedEmails.length - emails).toBe(1)
    expect(await notificationsOf(bob)).toHaveLength(1)
  })

  it('quiet hours in the user time zone skip webhook and email but keep in-app', async () => {
    const { alice, bob, task } = people()
    // 12:00 UTC is 21:00 in Tokyo: inside 20:00-08:00.
    await putPreferences(bob, {
      timeZone: 'Asia/Tokyo',
      quietHours: { start: '20:00', end: '08:00' },
      webhook: { url: webhook.url, secret },
    })
    const hooks = webhook.requests.length
    const event = taskCreated(task, alice)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(200)
    expect(webhook.requests.length).toBe(hooks)
    const bobs = (await deliveriesOf(event.id)).filter((row) => row.recipient === bob)
    expect(bobs).toEqual([
      { recipient: bob, channel: 'email', status: 'skipped', detail: 'no-address' },
      { recipient: bob, channel: 'in_app', status: 'delivered', detail: null },
      { recipient: bob, channel: 'webhook', status: 'skipped', detail: 'quiet-hours' },
    ])
  })

  it('a webhook to a private address not on the allow-list is refused and not retried', async () => {
    const { alice, bob, task } = people()
    await putPreferences(bob, { webhook: { url: 'http://169.254.169.254/latest/meta-data', secret } })
    const event = taskCreated(task, alice)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(200)
    const row = (await deliveriesOf(event.id)).find(
      (entry) => entry.recipient === bob && entry.channel === 'webhook',
    )
    expect(row).toMatchObject({ status: 'failed', detail: expect.stringContaining('refused') })
  })

  it('emits dev.taskflow.notification.sent to K_SINK per delivery, with deterministic ids', async () => {
    const { alice, bob, carol, task } = people()
    const before = sink.requests.length
    const event = taskCreated(task, alice)
    await fanout.handle(eventContext, event)
    const emitted = sink.requests.slice(before).map((entry) => entry.headers)
    expect(emitted.map((headers) => headers['ce-type'])).toEqual([
      EventTypes.NotificationSent,
      EventTypes.NotificationSent,
    ])
    expect(emitted.map((headers) => headers['ce-id']).sort()).toEqual(
      [
        sentEventIdOf(notificationIdOf(event, bob), 'in_app'),
        sentEventIdOf(notificationIdOf(event, carol), 'in_app'),
      ].sort(),
    )
    expect(emitted[0]?.['ce-causationid']).toBe(event.id)
  })

  it('a sink outage answers 503 and the retry announces only what is missing', async () => {
    const { alice, task } = people()
    const event = taskCreated(task, alice)
    const before = sink.requests.length
    sink.statuses.push(503)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(503)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(200)
    const ids = sink.requests.slice(before).map((entry) => entry.headers['ce-id'])
    // Two notifications: one refused then resent, one accepted at once: three posts, two distinct ids.
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(2)
    expect((await fanout.handle(eventContext, event)).statusCode).toBe(204)
    expect(sink.requests.length - before).toBe(3)
  })

  it('structured and binary bodies decode the same through the HTTP codec', async () => {
    const { alice, bob, task } = people()
    const message = httpCodec.encode(taskCreated(task, alice), { mode: 'structured' })
    const decoded = httpCodec.decode({ headers: message.headers, body: message.body })
    expect(decoded.ok).toBe(true)
    if (decoded.ok) expect((await fanout.handle(eventContext, decoded.value)).statusCode).toBe(200)
    expect(await notificationsOf(bob)).toHaveLength(1)
  })

  it('lists the caller notifications newest first with cursor paging, unread filter and mark read', async () => {
    const { alice, bob } = people()
    const events = [1, 2, 3].map(() =>
      taskCreated(taskSnapshot({ createdBy: alice, assignee: bob, watchers: [] }), alice),
    )
    for (const event of events) await fanout.handle(eventContext, event)
    const first = await fanout.handle(readContext(bob, { view: 'list' }), undefined)
    expect(first.statusCode).toBe(200)
    const page = first.body as {
      notifications: { id: string; read: boolean }[]
      nextCursor: string
      unread: number
    }
    expect(page.notifications.map((entry) => entry.id)).toEqual([
      notificationIdOf(events[2]!, bob),
      notificationIdOf(events[1]!, bob),
    ])
    expect(page.unread).toBe(3)
    const second = await fanout.handle(readContext(bob, { view: 'list', cursor: page.nextCursor }), undefined)
    expect((second.body as typeof page).notifications.map((entry) => entry.id)).toEqual([
      notificationIdOf(events[0]!, bob),
    ])
    expect((second.body as typeof page).nextCursor).toBeNull()

    const read = await fanout.handle(
      { ...readContext(bob, { action: 'read', id: page.notifications[0]!.id }), method: 'POST' },
      undefined,
    )
    expect(read.statusCode).toBe(204)
    const unread = await fanout.handle(readContext(bob, { view: 'list', unread: 'true' }), undefined)
    expect((unread.body as typeof page).notifications.map((entry) => entry.id)).toEqual([
      notificationIdOf(events[1]!, bob),
      notificationIdOf(events[0]!, bob),
    ])
    expect((unread.body as typeof page).unread).toBe(2)

    const notYours = await fanout.handle(
      { ...readContext(alice, { action: 'read', id: page.notifications[1]!.id }), method: 'POST' },
      undefined,
    )
    expect(notYours.statusCode).toBe(404)
  })

  it('an event the database cannot store (a recipient too long to index) is 422, dead-lettered, not retried', async () => {
    const { alice } = people()
    // Incompressible: PostgreSQL compresses a large index entry before it checks the ~2.7 KB limit.
    const assignee = randomBytes(4000).toString('base64')
    const event = taskCreated(taskSnapshot({ createdBy: alice, assignee, watchers: [] }), alice)
    const response = await fanout.handle(eventContext, event)
    expect(response.statusCode).toBe(422)
    expect(JSON.stringify(response.body)).toContain('the database cannot store this event')
  })

  it('reads need a bearer token and valid parameters', async () => {
    expect((await fanout.handle(readContext(undefined, { view: 'list' }), undefined)).statusCode).toBe(401)
    const badLimit = await fanout.handle(readContext('bob', { view: 'list', limit: 'many' }), undefined)
    expect(badLimit.statusCode).toBe(400)
    expect(JSON.stringify(badLimit.body)).toContain('"field":"limit"')
    expect(
      (await fanout.handle(readContext('bob', { view: 'list', cursor: 'nope' }), undefined)).statusCode,
    ).toBe(400)
    expect((await fanout.handle(readContext('bob', { view: 'everything' }), undefined)).statusCode).toBe(400)
  })

  it('forged ids and sequence numbers are answered without a failed query', async () => {
    const pastBigint = '9223372036854775808'
    const cursor = Buffer.from(`seq:${pastBigint}`).toString('base64url')
    const list = await fanout.handle(readContext('bob', { view: 'list', cursor }), undefined)
    expect(list.statusCode).toBe(400)
    expect(JSON.stringify(list.body)).toContain('"field":"cursor"')
    // Notification ids are UUIDs: anything else (a NUL included) names none.
    for (const id of ['a\u0000b', 'not-a-uuid']) {
      const read = await fanout.handle(
        { ...readContext('bob', { action: 'read', id }), method: 'POST' },
        undefined,
      )
      expect(read.statusCode).toBe(404)
    }
    // A Last-Event-ID past the bigint range resumes nothing: the stream starts from now.
    const stream = await fanout.handle(
      {
        ...readContext('bob', { view: 'stream' }),
        headers: { authorization: 'Bearer dev.bob', 'last-event-id': pastBigint },
      },
      undefined,
    )
    expect(stream.statusCode).toBe(200)
    ;(stream.body as { destroy(): void }).destroy()
  })

  it('preferences: defaults, a 400 naming the bad field, and the secret never read back', async () => {
    const erin = unique('erin')
    const defaults = await fanout.handle(readContext(erin, { view: 'preferences' }), undefined)
    expect(defaults.body).toMatchObject({
      timeZone: 'UTC',
      quietHours: null,
      email: null,
      webhook: null,
      channels: { 'task.created': { in_app: true, webhook: true, email: true } },
    })
    const bad = await putPreferences(erin, {
      timeZone: 'Mars/Olympus',
      quietHours: { start: '25:00', end: '07:00' },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.headers['content-type']).toBe('application/problem+json')
    const fields = (bad.body as { errors: { field: string }[] }).errors.map((error) => error.field)
    expect(fields).toEqual(expect.arrayContaining(['timeZone', 'quietHours.start']))
    const saved = await putPreferences(erin, {
      webhook: { url: 'https://hooks.example.com/x', secret },
      channels: { 'task.updated': { email: false } },
    })
    expect(saved.statusCode).toBe(200)
    const read = await fanout.handle(readContext(erin, { view: 'preferences' }), undefined)
    expect(read.body).toMatchObject({
      webhook: { url: 'https://hooks.example.com/x', secretSet: true },
      channels: { 'task.updated': { email: false, in_app: true } },
    })
    expect(JSON.stringify(read.body)).not.toContain(secret)
  })

  it('preferences: a webhook secret jsonb cannot hold (NUL, a lone surrogate) is a 400 naming it', async () => {
    const frank = unique('frank')
    for (const bad of ['a-secret-with-NUL-\u0000-inside', 'a-secret-with-half-a-pair-\ud83d']) {
      const refused = await putPreferences(frank, {
        webhook: { url: 'https://hooks.example.com/x', secret: bad },
      })
      expect(refused.statusCode).toBe(400)
      const fields = (refused.body as { errors: { field: string }[] }).errors.map((error) => error.field)
      expect(fields).toEqual(['webhook.secret'])
    }
    const read = await fanout.handle(readContext(frank, { view: 'preferences' }), undefined)
    expect(read.body).toMatchObject({ webhook: null })
  })

  it('a channel switched off for a kind is skipped for that kind only', async () => {
    const { alice, bob, task } = people()
    await putPreferences(bob, { channels: { 'task.created': { in_app: false } } })
    const event = taskCreated(task, alice)
    await fanout.handle(eventContext, event)
    expect(await notificationsOf(bob)).toHaveLength(0)
    expect(await deliveriesOf(event.id)).toContainEqual({
      recipient: bob,
      channel: 'in_app',
      status: 'skipped',
      detail: 'switched-off',
    })
    now = new Date('2026-08-23T12:00:00.000Z')
  })
})
