import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { reminderEventId } from '../../../functions/reminders/src/reminder-event.ts'
import { createReminders, type RemindersFunction } from '../../../functions/reminders/src/reminders.ts'
import {
  type PostedEvent,
  postBinary as postBinaryTo,
  postStructured as postStructuredTo,
  type RuntimeServer,
  serveWithRuntime,
} from '../../support/function-runtime.ts'
import { reminderTick } from '../../support/ping-tick.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { taskCreated, taskSnapshot, taskUpdated } from '../../support/task-events.ts'
import { type DatabaseProxy, proxyDatabaseUrl } from '../../support/tcp-proxy.ts'

// The reminders function served by faas-js-runtime's own HTTP server, as `npm start` runs it, with
// the database behind a TCP proxy so a test can cut it, and a real HTTP sink as K_SINK. Status codes
// are the contract with the Knative dispatcher: 2xx done, 4xx dead-letter at once, 5xx retry.

await describeEachDatabase('reminders over faas-js-runtime', (backend) => {
  let proxy: DatabaseProxy
  let sink: RecordingSink
  let reminders: RemindersFunction
  let server: RuntimeServer
  let baseUrl: string

  beforeAll(async () => {
    proxy = await proxyDatabaseUrl(backend.url)
    // A KafkaSink stand-in: answers 202 and keeps every CloudEvent it was sent.
    sink = await startRecordingSink({ cloudEventsOnly: true })
    reminders = createReminders({
      config: readRemindersConfig({ DATABASE_URL: proxy.url, K_SINK: sink.url }),
    })
    server = await serveWithRuntime(reminders)
    baseUrl = server.url
  })
  afterAll(async () => {
    await server?.close()
    await reminders?.shutdown()
    await sink?.close()
    await proxy?.close()
  })

  const postBinary = (event: PostedEvent) => postBinaryTo(baseUrl, event)
  const postStructured = (event: PostedEvent) => postStructuredTo(baseUrl, event)
  // What Knative's PingSource sends: binary mode, its configured JSON as the body.
  const postTick = () => postBinary(reminderTick())
  async function reminderOf(taskId: string) {
    const result = await backend.query(
      'select task_version, remind_at, fired_remind_at from reminders.reminders where task_id = $1',
      [taskId],
    )
    return result.rows[0] as { task_version: number; remind_at: Date | null; fired_remind_at: Date | null }
  }
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
  const emittedFor = (taskId: string) =>
    sink.accepted.filter((event) => (event.data as { taskId?: string }).taskId === taskId)

  it('/health/readiness answers 200', async () => {
    const response = await request(`${baseUrl}/health/readiness`)
    expect(response.statusCode).toBe(200)
    await response.body.dump()
  })

  it('a binary-mode task event schedules its reminder and a ping tick emits it to K_SINK', async () => {
    const task = taskSnapshot({ remindAt: minutesAgo(1) })
    const response = await postBinary(taskCreated(task))
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    const tick = await postTick()
    expect(tick.statusCode).toBe(200)
    await tick.body.dump()
    expect(emittedFor(task.id).map((event) => [event.type, event.id])).toEqual([
      ['dev.taskflow.reminder.due', reminderEventId(task.id, new Date(task.remindAt!))],
    ])
    expect((await reminderOf(task.id)).fired_remind_at).toEqual(new Date(task.remindAt!))
  })

  it('a structured-mode task event schedules its reminder', async () => {
    const task = taskSnapshot({ remindAt: new Date(Date.now() + 3_600_000).toISOString() })
    const response = await postStructured(taskCreated(task))
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect((await reminderOf(task.id)).remind_at).toEqual(new Date(task.remindAt!))
    const read = await request(`${baseUrl}/?task=${task.id}`, {
      headers: { authorization: `Bearer dev.${task.createdBy}` },
    })
    expect(read.statusCode).toBe(200)
    expect(await read.body.json()).toMatchObject({ state: 'pending', remindAt: task.remindAt })
  })

  it('a duplicate delivery (same source and id) has no second effect', async () => {
    const task = taskSnapshot({ remindAt: minutesAgo(2) })
    const event = taskCreated(task)
    const first = await postBinary(event)
    const second = await postStructured(event)
    await first.body.dump()
    await second.body.dump()
    expect([first.statusCode, second.statusCode]).toEqual([200, 204])
    const processed = await backend.query(
      'select count(*)::int as n from reminders.processed_events where id = $1',
      [event.id],
    )
    expect(processed.rows[0].n).toBe(1)
  })

  it('a poison event gets 4xx: 422 for data failing its schema, 400 for an unknown type', async () => {
    const task = taskSnapshot()
    const badData = await postBinary({
      ...taskCreated(task),
      data: { task: { ...task, remindAt: 'next tuesday' } },
    })
    const unknownType = await postBinary({ ...taskCreated(task), type: 'dev.taskflow.task.archived' })
    expect(badData.statusCode).toBe(422)
    expect(badData.headers['content-type']).toContain('application/problem+json')
    expect(unknownType.statusCode).toBe(400)
    await badData.body.dump()
    await unknownType.body.dump()
    expect(await reminderOf(task.id)).toBeUndefined()
  })

  it('answers 503 to an event and a tick while the database is cut off, then succeeds once it is back', async () => {
    // Scheduled ahead, then moved into the past by the update the outage holds up: once applied, the
    // reminder is due at once.
    const task = taskSnapshot({ remindAt: minutesAgo(-10) })
    await (await postBinary(taskCreated(task))).body.dump()
    const event = taskUpdated({ ...task, remindAt: minutesAgo(3) }, 'written during an outage')
    proxy.cut()
    try {
      const during = await postBinary(event)
      expect(during.statusCode).toBe(503)
      await during.body.dump()
      const tickDuring = await postTick()
      expect(tickDuring.statusCode).toBe(503)
      await tickDuring.body.dump()
    } finally {
      proxy.restore()
    }
    expect(emittedFor(task.id)).toHaveLength(0)
    // pg's pool drops the broken connections on first use; the redelivery gets a fresh one.
    let after = await postBinary(event)
    for (let attempt = 0; after.statusCode === 503 && attempt < 5; attempt++) {
      await after.body.dump()
      after = await postBinary(event)
    }
    expect(after.statusCode).toBe(200)
    await after.body.dump()
    expect((await reminderOf(task.id)).task_version).toBe(2)
    const tick = await postTick()
    expect(tick.statusCode).toBe(200)
    await tick.body.dump()
    expect(emittedFor(task.id).map((emitted) => (emitted.data as { title: string }).title)).toEqual([
      'written during an outage',
    ])
  })
})
