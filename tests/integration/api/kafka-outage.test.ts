// Needs: Java (a Kafka broker of this suite's own, so it can be stopped) and PostgreSQL.
// The broker really goes away (controlled shutdown of the only node) and comes back on the same port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { type LocalKafka, startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { createKafkaClient, createTopics, type Kafka, withAdmin } from '../../../kafka/src/index.ts'
import { call, eventually, startTestApi } from '../../support/api-harness.ts'
import { consumeRecords, kafkaAvailable } from '../../support/kafka.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { versionsPerTask } from '../../support/task-event-records.ts'

const ready = (await postgresAvailable()) && (await kafkaAvailable())

// The relay runs inline (the default) and on its worker thread: the guarantees are the same.
describe.runIf(ready).each(['inline', 'worker'] as const)(
  'task API while its Kafka broker is down (relay %s)',
  (thread) => {
    let broker: LocalKafka
    let kafka: Kafka
    let database: TestDatabase
    let api: RunningApi
    const topic = `task-events-${thread}`

    beforeAll(async () => {
      broker = await startLocalKafka({ nodes: 1 })
      kafka = createKafkaClient({ brokers: broker.brokers, clientId: 'api-outage-test' })
      await withAdmin(kafka, (admin) =>
        createTopics(admin, [{ name: topic, partitions: 12, replicas: 1, config: {} }]),
      )
      database = await createTestDatabase()
      api = await startTestApi({
        DATABASE_URL: database.url,
        KAFKA_BROKERS: broker.brokers.join(','),
        TASK_EVENTS_TOPIC: topic,
        OUTBOX_RELAY_THREAD: thread,
      })
    })
    afterAll(async () => {
      await api?.close()
      await database?.drop()
      await broker?.stop()
    })

    it('keeps answering 201, reports degraded readiness, and publishes the backlog once, in order, when the broker is back', async () => {
      const before = await call(api.url, 'POST', '/tasks', { body: { title: 'before the outage' } })
      expect(before.status).toBe(201)
      await eventually(
        () => call(api.url, 'GET', '/readyz'),
        (response) => response.body?.kafka === 'up' && response.body?.outbox?.backlog === 0,
      )

      await broker.stopNode(0)
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const created = await call(api.url, 'POST', '/tasks', { body: { title: `during the outage ${i}` } })
        expect(created.status).toBe(201)
        ids.push(created.body.id)
        for (let version = 1; version <= 2; version++) {
          const changed = await call(api.url, 'PATCH', `/tasks/${created.body.id}`, {
            body: { title: `changed ${version}` },
            headers: { 'if-match': `"${version}"` },
          })
          expect(changed.status).toBe(200)
        }
      }
      const degraded = await eventually(
        () => call(api.url, 'GET', '/readyz'),
        (response) => response.body?.kafka === 'down',
      )
      expect(degraded.status).toBe(200)
      expect(degraded.body).toMatchObject({ status: 'degraded', database: 'up', outbox: { backlog: 9 } })

      await broker.startNode(0)
      const records = await consumeRecords(kafka, topic, 10, { timeoutMs: 50_000 })
      await eventually(
        () => call(api.url, 'GET', '/readyz'),
        (response) => response.body?.outbox?.backlog === 0,
      )
      expect(new Set(records.map((record) => record.headers.ce_id)).size).toBe(10)
      const byTask = versionsPerTask(records)
      expect(byTask.get(before.body.id)).toEqual([1])
      for (const id of ids) expect(byTask.get(id)).toEqual([1, 2, 3])
    })
  },
)
