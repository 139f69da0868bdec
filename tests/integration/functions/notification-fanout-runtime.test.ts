import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readNotificationFanoutConfig } from '../../../functions/notification-fanout/src/config.ts'
import {
  createNotificationFanout,
  type NotificationFanoutFunction,
} from '../../../functions/notification-fanout/src/notification-fanout.ts'
import {
  type PostedEvent,
  postBinary as postBinaryTo,
  postStructured as postStructuredTo,
  type RuntimeServer,
  serveWithRuntime,
} from '../../support/function-runtime.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

// notification-fanout served by faas-js-runtime's own HTTP server, as `npm start` runs it: the status
// contract with the Knative dispatcher (2xx done, 4xx dead-letter, 5xx retry), the user-facing
// query contract, and the SSE stream fed by a second function instance sharing the database (as
// two replicas would be).

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`

await describeEachDatabase('notification-fanout over faas-js-runtime', (backend) => {
  // Two instances, as two replicas: A holds the streams, B receives the events.
  let instances: { fanout: NotificationFanoutFunction; server: RuntimeServer; url: string }[] = []
  // A webhook receiver answering the queued statuses (then 200), keeping what it got.
  let webhook: RecordingSink
  const a = () => instances[0]!
  const b = () => instances[1]!

  beforeAll(async () => {
    webhook = await startRecordingSink({ path: '/hook', status: 200 })
    for (const heartbeat of ['100', '15000']) {
      const fanout = createNotificationFanout({
        config: readNotificationFanoutConfig({
          DATABASE_URL: backend.url,
          WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
          STREAM_POLL_MS: '100',
          STREAM_HEARTBEAT_MS: heartbeat,
          LOG_LEVEL: 'warn',
        }),
      })
      const server = await serveWithRuntime(fanout)
      instances.push({ fanout, server, url: server.url })
    }
  })
  afterAll(async () => {
    for (const instance of instances) {
      await instance.fanout.shutdown()
      await instance.server.close()
    }
    instances = []
    await webhook?.close()
  })

  const postBinary = (event: PostedEvent, base = b().url) => postBinaryTo(base, event)
  const postStructured = (event: PostedEvent, base = b().url) => postStructuredTo(base, event)
  async function count(recipient: string): Promise<number> {
    const result = await backend.query(
      'select count(*)::int as n from notifications.notifications where recipient = $1',
      [recipient],
    )
    return result.rows[0].n
  }
  async function status(response: Awaited<ReturnType<typeof request>>): Promise<number> {
    await response.body.dump()
    return response.statusCode
  }

  it('a binary-mode and a structured-mode event are fanned out with 200', async () => {
    const bob = unique('bob')
    expect(await status(await postBinary(taskCreated(taskSnapshot({ assignee: bob }))))).toBe(200)
    expect(await status(await postStructured(taskCreated(taskSnapshot({ assignee: bob }))))).toBe(200)
    expect(await count(bob)).toBe(2)
  })

  it('a duplicate delivery, even to the other replica, has no second effect', async () => {
    const bob = unique('bob')
    const event = taskCreated(taskSnapshot({ assignee: bob }))
    expect(await status(await postBinary(event, a().url))).toBe(200)
    expect(await status(await postStructured(event, b().url))).toBe(204)
    expect(await count(bob)).toBe(1)
  })

  it('a poison event gets 4xx: 422 for bad data, 400 for an unknown type', async () => {
    const task = taskSnapshot()
    const badData = await postBinary({ ...taskCreated(task), data: { task: { ...task, assignee: 7 } } })
    expect(badData.statusCode).toBe(422)
    expect(badData.headers['content-type']).toContain('application/problem+json')
    await badData.body.dump()
    expect(await status(await postBinary({ ...taskCreated(task), type: 'dev.taskflow.task.archived' }))).toBe(
      400,
    )
  })

  it('a webhook 5xx answers 503; the redelivery sends only the webhook', async () => {
    const bob = unique('bob')
    const preferences = await request(`${b().url}/?view=preferences`, {
      method: 'POST',
      headers: { authorization: `Bearer dev.${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook: { url: webhook.url, secret: 'a-secret-of-enough-length' } }),
    })
    expect(await status(preferences)).toBe(200)
    const event = taskCreated(taskSnapshot({ assignee: bob, watchers: [] }))
    const before = webhook.requests.length
    webhook.statuses.push(502)
    expect(await status(await postBinary(event))).toBe(503)
    expect(await count(bob)).toBe(1)
    expect(await status(await postBinary(event))).toBe(200)
    expect(webhook.requests.length - before).toBe(2)
    expect(await count(bob)).toBe(1)
    expect(await status(await postBinary(event))).toBe(204)
    expect(webhook.requests.length - before).toBe(2)
  })

  it('the query contract: list, mark read, preferences, and 401 without a token', async () => {
    const bob = unique('bob')
    const event = taskCreated(taskSnapshot({ assignee: bob }))
    await status(await postBinary(event))
    const auth = { authorization: `Bearer dev.${bob}` }
    const list = await request(`${a().url}/?view=list&limit=10`, { headers: auth })
    expect(list.statusCode).toBe(200)
    const page = (await list.body.json()) as {
      notifications: { id: string; read: boolean }[]
      unread: number
    }
    expect(page.notifications).toHaveLength(1)
    expect(page.unread).toBe(1)
    const read = await request(`${a().url}/?action=read&id=${page.notifications[0]!.id}`, {
      method: 'POST',
      headers: auth,
    })
    expect(await status(read)).toBe(204)
    const after = (await (
      await request(`${a().url}/?view=list`, { headers: auth })
    ).body.json()) as typeof page
    expect(after.notifications[0]?.read).toBe(true)
    const badPreferences = await request(`${a().url}/?view=preferences`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ quietHours: { start: '7am', end: '09:00' } }),
    })
    expect(badPreferences.statusCode).toBe(400)
    expect(JSON.stringify(await badPreferences.body.json())).toContain('quietHours.start')
    expect(await status(await request(`${a().url}/?view=list`))).toBe(401)
  })

  it('an SSE stream on one replica receives a notification the other replica created', async () => {
    const bob = unique('bob')
    const stream = await request(`${a().url}/?view=stream`, {
      headers: { authorization: `Bearer dev.${bob}` },
    })
    expect(stream.statusCode).toBe(200)
    expect(stream.headers['content-type']).toContain('text/event-stream')
    const event = taskCreated(taskSnapshot({ assignee: bob }))
    let text = ''
    let posted = false
    // Read until the notification frame arrives; the test's own timeout bounds the wait.
    for await (const chunk of stream.body) {
      text += chunk.toString()
      if (!posted && text.includes(': connected')) {
        posted = true
        expect(await status(await postBinary(event, b().url))).toBe(200)
      }
      if (text.includes('event: notification') && text.includes(': heartbeat')) break
    }
    const frame = text.split('\n\n').find((part) => part.includes('event: notification'))!
    const data = JSON.parse(
      frame
        .split('\n')
        .find((line) => line.startsWith('data: '))!
        .slice(6),
    )
    expect(data).toMatchObject({ causeEventId: event.id, kind: 'task.created', read: false })
    expect(frame).toMatch(/^id: \d+$/m)
    stream.body.destroy()
    // The server lets go of a stream whose client left (bounded: 100 tries).
    for (let attempt = 0; attempt < 100 && a().fanout.openStreams > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(a().fanout.openStreams).toBe(0)
  })

  it('a stream resumed with Last-Event-ID replays what was missed', async () => {
    const bob = unique('bob')
    const first = taskCreated(taskSnapshot({ assignee: bob }))
    const second = taskCreated(taskSnapshot({ assignee: bob }))
    await status(await postBinary(first))
    const seq = (
      await backend.query('select seq::text from notifications.notifications where recipient = $1', [bob])
    ).rows[0].seq as string
    await status(await postBinary(second))
    const stream = await request(`${a().url}/?view=stream`, {
      headers: { authorization: `Bearer dev.${bob}`, 'last-event-id': seq },
    })
    let text = ''
    for await (const chunk of stream.body) {
      text += chunk.toString()
      if (text.includes('event: notification')) break
    }
    stream.body.destroy()
    expect(text).toContain(second.id)
    expect(text).not.toContain(first.id)
  })
})
