// Needs: PostgreSQL (a database of its own). No Kafka: the relay publishes to a recording publisher.
// Two replicas of the Task API on one database, as on a cluster: the one that serves a write is not the
// one whose relay owns the lanes, and that relay polls only every ten minutes here. The serving replica
// notifies the relay's channel after its commit, so the event is published at once all the same; the
// relaying replica's own writes wake its relay in process and notify nobody.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { call, eventually, recordingPublisher, startTestApi } from '../../support/api-harness.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'

const ready = await postgresAvailable()

describe.runIf(ready)('the outbox relay of another replica', () => {
  let database: TestDatabase
  let serving: RunningApi
  let relaying: RunningApi
  let listener: pg.Client
  const heard: string[] = []
  const published = recordingPublisher()
  beforeAll(async () => {
    database = await createTestDatabase()
    relaying = await startTestApi(
      { DATABASE_URL: database.url, OUTBOX_POLL_INTERVAL_MS: '600000' },
      published,
    )
    serving = await startTestApi({ DATABASE_URL: database.url, OUTBOX_RELAY_ENABLED: 'false' })
    listener = new pg.Client({ connectionString: database.url })
    await listener.connect()
    listener.on('notification', (message) => heard.push(message.channel))
    await listener.query('listen taskflow_outbox')
  })
  afterAll(async () => {
    await listener?.end()
    await serving?.close()
    await relaying?.close()
    await database?.drop()
  })

  it('publishes a write another replica committed when notified, not at its next poll', async () => {
    // The relay has run its first round and owns every lane before the write.
    await eventually(
      () => relaying.relay!.status(),
      (status) => status.ownedLanes.length === 16,
    )
    for (const kind of ['created', 'updated'] as const) {
      const before = published.records.length
      const created =
        kind === 'created'
          ? await call(serving.url, 'POST', '/tasks', { body: { title: 'written by the serving replica' } })
          : await call(serving.url, 'PATCH', `/tasks/${published.records[0]!.key}`, {
              body: { title: 'changed by the serving replica' },
              headers: { 'if-match': '"1"' },
            })
      expect(created.status).toBeLessThan(300)
      const event = await eventually(
        () => published.records.slice(before),
        (records) => records.length === 1,
      )
      expect(event[0]!.headers.ce_type).toBe(`dev.taskflow.task.${kind}`)
    }
    // One NOTIFY per write of the serving replica (the second was sent after the first was answered);
    // one committed before this round trip reaches the listener before its answer.
    await listener.query('select 1')
    expect(heard).toEqual(['taskflow_outbox', 'taskflow_outbox'])
  })

  it('wakes its own relay in process for a write into its lanes, without a NOTIFY', async () => {
    const before = published.records.length
    const heardBefore = heard.length
    const created = await call(relaying.url, 'POST', '/tasks', {
      body: { title: 'written by the relay replica' },
    })
    expect(created.status).toBe(201)
    await eventually(
      () => published.records.slice(before),
      (records) => records.length === 1,
    )
    // Anything notified at that commit would have reached the listener before this round trip returns.
    await listener.query('select 1')
    expect(heard.slice(heardBefore)).toEqual([])
  })
})
