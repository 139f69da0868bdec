// Needs: Kafka (the integration global setup's broker) and PostgreSQL (TEST_DATABASE_URL).
// The API runs as in production: startApi() with a config, migrations, the Kafka publisher and relay.
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ApiConfig, loadConfig } from '../../../api/src/config.ts'
import { createKafkaPublisher } from '../../../api/src/outbox/kafka-publisher.ts'
import type { Publisher } from '../../../api/src/outbox/publisher.ts'
import { type RunningApi, startApi } from '../../../api/src/start-api.ts'
import { eventDataSchemas, isEventType, kafkaCodec, taskSnapshotSchema } from '../../../events/src/index.ts'
import { type ConsumedRecord, type Kafka, withAdmin } from '../../../kafka/src/index.ts'
import { call, eventually, silentLogger } from '../../support/api-harness.ts'
import {
  consumeRecords,
  createTempTopic,
  kafkaAvailable,
  kafkaBrokers,
  type TempTopic,
  testKafka,
} from '../../support/kafka.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { versionsPerTask } from '../../support/task-event-records.ts'
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts'

const ready = (await postgresAvailable()) && (await kafkaAvailable())

function apiConfig(databaseUrl: string, topic: string, extra: Record<string, string> = {}): ApiConfig {
  return loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    TASK_EVENTS_TOPIC: topic,
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_INTERVAL_MS: '200',
    ...extra,
  })
}

/** Records on the topic in total (sum of the partitions' end offsets; the temp topic starts empty). */
async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  // Right after a topic is created the broker may still answer NOT_LEADER: ask again until it knows.
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic))
      return offsets.reduce((sum, partition) => sum + Number(partition.high), 0)
    } catch (error) {
      if (attempt >= 20 || (error as { retriable?: boolean }).retriable !== true) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

async function backlogEmpty(api: RunningApi): Promise<void> {
  await eventually(
    () => call(api.url, 'GET', '/readyz'),
    (response) => response.body?.outbox?.backlog === 0,
  )
}

function decode(record: ConsumedRecord) {
  const decoded = kafkaCodec.decode({ ...record, value: record.value })
  if (!decoded.ok) throw new Error(`record is not a CloudEvent: ${decoded.error.message}`)
  return decoded.value
}

describe.runIf(ready)('task API on Kafka and PostgreSQL', () => {
  let kafka: Kafka
  let database: TestDatabase
  let topic: TempTopic
  const running: RunningApi[] = []

  beforeAll(async () => {
    kafka = testKafka('api-integration')
  })
  afterEach(async () => {
    for (const api of running.splice(0)) await api.close()
    await topic?.delete().catch(() => {})
    await database?.drop()
  })

  async function start(
    options: { extra?: Record<string, string>; publisher?: Publisher; databaseUrl?: string } = {},
  ) {
    const api = await startApi(apiConfig(options.databaseUrl ?? database.url, topic.name, options.extra), {
      logger: silentLogger,
      ...(options.publisher === undefined ? {} : { publisher: options.publisher }),
    })
    running.push(api)
    return api
  }

  async function fresh(): Promise<void> {
    database = await createTestDatabase()
    topic = await createTempTopic(kafka, { partitions: 12 })
  }

  it('a POST yields exactly one CloudEvent record keyed by the task id, its data valid for its type', async () => {
    await fresh()
    const api = await start()
    const created = await call(api.url, 'POST', '/tasks', {
      user: 'alice',
      body: { title: 'Ship it', tags: ['release'] },
      headers: { 'x-request-id': 'it-req-1' },
    })
    expect(created.status).toBe(201)
    const [record] = await consumeRecords(kafka, topic.name, 1)
    expect(record!.key).toBe(created.body.id)
    expect(record!.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'dev.taskflow.task.created',
      ce_source: '/taskflow/api',
      ce_subject: created.body.id,
      ce_correlationid: 'it-req-1',
      ce_actor: 'alice',
      'content-type': 'application/json',
    })
    const event = decode(record!)
    expect(isEventType(event.type)).toBe(true)
    const data = eventDataSchemas['dev.taskflow.task.created'].parse(event.data)
    expect(taskSnapshotSchema.parse(data.task)).toEqual(created.body)
    await backlogEmpty(api)
    expect(await recordCount(kafka, topic.name)).toBe(1)
  })

  for (const thread of ['worker', 'inline'] as const) {
    it(`the relay on ${thread === 'worker' ? 'a worker thread' : 'the API thread'} publishes, counts what it published in /metrics and reports Kafka up`, async () => {
      await fresh()
      const lines: string[] = []
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
      const api = await startApi(apiConfig(database.url, topic.name, { OUTBOX_RELAY_THREAD: thread }), {
        logger,
      })
      running.push(api)
      for (const title of ['one', 'two', 'three']) {
        expect((await call(api.url, 'POST', '/tasks', { user: 'alice', body: { title } })).status).toBe(201)
      }
      await consumeRecords(kafka, topic.name, 3)
      await backlogEmpty(api)
      const readiness = await eventually(
        () => call(api.url, 'GET', '/readyz'),
        (response) => response.body?.kafka === 'up',
      )
      expect(readiness.body.relay.ownedLanes).toBe(16)
      const metrics = (await call(api.url, 'GET', '/metrics')).text
      expect(metrics).toMatch(/^outbox_published_events_total 3$/m)
      expect(metrics).toMatch(/^outbox_relay_query_seconds_count\{query="select"\} [1-9]/m)
      const said = lines.map((line) => JSON.parse(line) as { msg: string; thread?: string })
      expect(said.find((line) => line.msg === 'outbox relay publishes to Kafka')?.thread).toBe(thread)
      // The relay's own lines reach the API's logger from either thread.
      expect(said.some((line) => line.msg === 'outbox relay started')).toBe(true)
    })
  }

  it('with Kafka unreachable POSTs return 201, and once it is back every event arrives once, in order per task', async () => {
    await fresh()
    // The relay's publisher target is stopped: sends fail as on a dead broker, writes must not notice.
    const kafkaPublisher = createKafkaPublisher({
      brokers: kafkaBrokers(),
      clientId: 'api-it-gated',
      logger: silentLogger,
    })
    let reachable = false
    const gated: Publisher = {
      publish: (name, records) =>
        reachable ? kafkaPublisher.publish(name, records) : Promise.reject(new Error('broker unreachable')),
    }
    const api = await start({ publisher: gated })
    try {
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        const created = await call(api.url, 'POST', '/tasks', { body: { title: `offline ${i}` } })
        expect(created.status).toBe(201)
        ids.push(created.body.id)
        for (let version = 1; version <= 2; version++) {
          const changed = await call(api.url, 'PATCH', `/tasks/${created.body.id}`, {
            body: { priority: version === 1 ? 'high' : 'low' },
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
      expect(degraded.body).toMatchObject({ status: 'degraded', outbox: { backlog: 15 } })
      expect(await recordCount(kafka, topic.name)).toBe(0)

      reachable = true
      const records = await consumeRecords(kafka, topic.name, 15)
      await backlogEmpty(api)
      expect(await recordCount(kafka, topic.name)).toBe(15)
      expect(new Set(records.map((record) => record.headers.ce_id)).size).toBe(15)
      const versions = versionsPerTask(records)
      for (const id of ids) expect(versions.get(id)).toEqual([1, 2, 3])
    } finally {
      await running.pop()?.close()
      await kafkaPublisher.close()
    }
  })

  it('an Idempotency-Key replay returns the first response and emits nothing', async () => {
    await fresh()
    const api = await start()
    const request = { body: { title: 'pay invoice' }, headers: { 'idempotency-key': 'invoice-42' } }
    const first = await call(api.url, 'POST', '/tasks', request)
    const replay = await call(api.url, 'POST', '/tasks', request)
    expect(replay.status).toBe(201)
    expect(replay.body).toEqual(first.body)
    expect((await call(api.url, 'POST', '/tasks', { ...request, body: { title: 'other' } })).status).toBe(422)
    const [record] = await consumeRecords(kafka, topic.name, 1)
    expect(record!.key).toBe(first.body.id)
    await backlogEmpty(api)
    expect(await recordCount(kafka, topic.name)).toBe(1)
  })

  it('answers bad input with its status as problem+json, and hides other users’ tasks', async () => {
    await fresh()
    const api = await start({ extra: { BODY_LIMIT: '1kb' } })
    const created = await call(api.url, 'POST', '/tasks', { user: 'owner', body: { title: 'mine' } })
    const path = `/tasks/${created.body.id}`
    const cases: Array<[number, Promise<{ status: number; headers: Record<string, string> }>]> = [
      [400, call(api.url, 'POST', '/tasks', { body: { title: '' } })],
      [
        400,
        call(api.url, 'POST', '/tasks', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
      ],
      [401, call(api.url, 'POST', '/tasks', { user: null, body: { title: 'x' } })],
      [404, call(api.url, 'GET', path, { user: 'intruder' })],
      [
        409,
        call(api.url, 'PATCH', path, { user: 'owner', body: { title: 'y' }, headers: { 'if-match': '"7"' } }),
      ],
      [413, call(api.url, 'POST', '/tasks', { body: { title: 'x', description: 'z'.repeat(2048) } })],
      [415, call(api.url, 'POST', '/tasks', { rawBody: 'x', headers: { 'content-type': 'text/plain' } })],
      [428, call(api.url, 'PATCH', path, { user: 'owner', body: { title: 'y' } })],
    ]
    for (const [status, pending] of cases) {
      const response = await pending
      expect(response.status).toBe(status)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    expect((await call(api.url, 'GET', path, { user: 'owner' })).status).toBe(200)
  })

  it('two API replicas (two relays, one inline and one on its thread) on one database publish each event once, in order per task', async () => {
    await fresh()
    const extra = { OUTBOX_LANES_PER_RELAY: '8', OUTBOX_POLL_INTERVAL_MS: '50' }
    const replicas = [
      await start({ extra: { ...extra, OUTBOX_RELAY_THREAD: 'inline' } }),
      await start({ extra: { ...extra, OUTBOX_RELAY_THREAD: 'worker' } }),
    ]
    const ids: string[] = []
    for (let i = 0; i < 8; i++) {
      const created = await call(replicas[i % 2]!.url, 'POST', '/tasks', { body: { title: `shared ${i}` } })
      ids.push(created.body.id)
    }
    // Each task is changed through both replicas alternately, so both relays see its rows.
    await Promise.all(
      ids.map(async (id) => {
        for (let version = 1; version <= 3; version++) {
          const response = await call(replicas[version % 2]!.url, 'PATCH', `/tasks/${id}`, {
            body: { title: `v${version + 1}` },
            headers: { 'if-match': `"${version}"` },
          })
          expect(response.status).toBe(200)
        }
      }),
    )
    const records = await consumeRecords(kafka, topic.name, ids.length * 4)
    await backlogEmpty(replicas[0]!)
    expect(await recordCount(kafka, topic.name)).toBe(ids.length * 4)
    expect(new Set(records.map((record) => record.headers.ce_id)).size).toBe(ids.length * 4)
    const versions = versionsPerTask(records)
    for (const id of ids) expect(versions.get(id)).toEqual([1, 2, 3, 4])
    // The thread's status reaches its replica a moment later (it posts changes every 100 ms).
    const lanes = await eventually(
      () => replicas.map((api) => api.relay!.status().ownedLanes.length),
      (owned) => owned.every((count) => count === 8),
    )
    expect(lanes).toEqual([8, 8])
  })

  describe('with the database unreachable', () => {
    let proxy: TcpProxy
    afterAll(async () => {
      await proxy?.close()
    })

    it('answers 503 problem+json and emits no event; recovers when it is back', async () => {
      await fresh()
      const target = new URL(database.url)
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
      const viaProxy = new URL(database.url)
      viaProxy.hostname = proxy.host
      viaProxy.port = String(proxy.port)
      const api = await start({ databaseUrl: viaProxy.toString() })

      proxy.cut()
      const refused = await call(api.url, 'POST', '/tasks', { body: { title: 'lost?' } })
      expect(refused.status).toBe(503)
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(refused.headers['retry-after']).toBeDefined()
      const notReady = await call(api.url, 'GET', '/readyz')
      expect(notReady.status).toBe(503)
      // The probe says what is down, not the driver's message (host, port, user).
      expect(notReady.body).toMatchObject({ status: 'unavailable', database: 'down' })
      expect(notReady.body.detail).toMatch(/^the database (is unreachable|did not answer in time)$/)
      const metrics = await call(api.url, 'GET', '/metrics')
      expect(metrics.status).toBe(200)
      expect(metrics.text).toContain('outbox_backlog_query_up 0')

      proxy.restore()
      const created = await eventually(
        () => call(api.url, 'POST', '/tasks', { body: { title: 'after recovery' } }),
        (response) => response.status !== 503,
      )
      expect(created.status).toBe(201)
      const [record] = await consumeRecords(kafka, topic.name, 1)
      expect(record!.key).toBe(created.body.id)
      await backlogEmpty(api)
      expect(await recordCount(kafka, topic.name)).toBe(1)
    })
  })
})
