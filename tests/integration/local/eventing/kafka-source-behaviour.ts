import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { afterEach, expect, it } from 'vitest'
import { EventTypes } from '../../../../events/src/index.ts'
import { partitionForKey } from '../../../../kafka/src/partitioner.ts'
import {
  type KafkaSourceDispatcher,
  type KafkaSourceSpec,
  startKafkaSource,
} from '../../../../local/src/eventing/kafka-source.ts'
import type { SenderIdentity } from '../../../../local/src/eventing/sender-identity.ts'
import type { AppendRecord } from '../../../../local/src/eventlog/types.ts'
import type { EventLogBackend } from '../../../support/event-logs.ts'
import { startRecordingSink } from '../../../support/recording-sink.ts'
import { taskCreatedRecord } from '../../../support/task-event-records.ts'
import { eventually } from '../eventlog/consume.ts'

// What the local KafkaSource must do on any event log, as Knative's dispatcher does (see
// ../shared/reference/knative-kafkasource.md). Each backend's test file runs this suite.

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

function taskEvent(taskId: string, title: string): AppendRecord {
  return taskCreatedRecord({ id: taskId, title })
}

export function kafkaSourceBehaviour(backend: () => EventLogBackend): void {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  async function setup(partitions: number, overrides: Partial<KafkaSourceSpec> = {}) {
    const { log, ensureTopic } = await backend().open()
    cleanup.push(() => log.close())
    const topic = unique('src')
    await ensureTopic(topic, partitions)
    const sink = await startRecordingSink({ path: '/fn' })
    const deadLetters = await startRecordingSink({ path: '/dlq' })
    cleanup.push(
      () => sink.close(),
      () => deadLetters.close(),
    )
    const spec: KafkaSourceSpec = {
      name: 'test-source',
      namespace: 'taskflow',
      topics: [topic],
      consumerGroup: unique('group'),
      initialOffset: 'earliest',
      ordering: 'ordered',
      delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 5, timeoutMs: 5_000 },
      sink: new URL(sink.url),
      deadLetterSink: new URL(deadLetters.url),
      ...overrides,
    }
    const producer = await log.producer()
    cleanup.push(() => producer.close())
    const start = async (
      extra: { maxInFlight?: number; identity?: SenderIdentity } = {},
    ): Promise<KafkaSourceDispatcher> => {
      const dispatcher = await startKafkaSource({ spec, log, logger, commitIntervalMs: 200, ...extra })
      cleanup.push(() => dispatcher.stop())
      return dispatcher
    }
    return { log, topic, sink, deadLetters, spec, producer, start }
  }

  it('passes CloudEvents through in binary mode with Knative extensions and headers', async () => {
    const { topic, sink, producer, start } = await setup(2)
    const taskId = randomUUID()
    const record = taskEvent(taskId, 'passthrough')
    const [position] = await producer.send(topic, [record])
    await start()
    await eventually(() => sink.delivered.length === 1, 'event delivered')
    const { headers, body } = sink.delivered[0]!
    expect(headers['ce-id']).toBe(record.headers.ce_id)
    expect(headers['ce-type']).toBe(EventTypes.TaskCreated)
    expect(headers['ce-subject']).toBe(taskId)
    expect(headers['ce-partitionkey']).toBe(taskId)
    expect(headers['ce-key']).toBeUndefined()
    expect(headers['ce-knativekafkapartition']).toBe(String(position!.partition))
    expect(headers['ce-knativekafkaoffset']).toBe(position!.offset)
    expect(headers['content-type']).toBe('application/json')
    expect(headers.prefer).toBe('reply')
    expect(headers['kn-namespace']).toBe('taskflow')
    expect(JSON.parse(body).task.title).toBe('passthrough')
  })

  it('wraps a plain record exactly as Knative does', async () => {
    const { topic, sink, producer, start } = await setup(1)
    await producer.send(topic, [
      {
        key: 'key-0',
        value: Buffer.from('{"hello":1}'),
        headers: { 'x-custom': 'hello', 'content-type': 'application/json' },
      },
    ])
    await start()
    await eventually(() => sink.delivered.length === 1, 'plain record delivered')
    const { headers, body } = sink.delivered[0]!
    expect(headers['ce-id']).toBe('partition:0/offset:0')
    expect(headers['ce-source']).toBe(`/apis/v1/namespaces/taskflow/kafkasources/test-source#${topic}`)
    expect(headers['ce-type']).toBe('dev.knative.kafka.event')
    expect(headers['ce-subject']).toBe('partition:0#0')
    expect(headers['ce-key']).toBe('key-0')
    expect(headers['ce-partitionkey']).toBe('key-0')
    expect(headers['ce-kafkaheaderxcustom']).toBe('hello')
    expect(headers['ce-knativekafkaoffset']).toBe('0')
    expect(headers['content-type']).toBe('application/json')
    expect(body).toBe('{"hello":1}')
  })

  it('retries a failing sink with backoff and delivers once it recovers', async () => {
    const { topic, sink, producer, start } = await setup(1)
    sink.reply = (_request, attempt) => ({ status: attempt < 3 ? 503 : 202 })
    await producer.send(topic, [taskEvent(randomUUID(), 'flaky')])
    const dispatcher = await start()
    await eventually(() => dispatcher.stats().delivered === 1, 'delivered after retries')
    expect(sink.requests).toHaveLength(3)
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 })
  })

  it('dead-letters a poison event at once with the error extensions while later records flow', async () => {
    const { topic, sink, deadLetters, producer, start } = await setup(1)
    sink.reply = (request) =>
      request.body.includes('poison') ? { status: 422, body: 'title rejected' } : { status: 202 }
    await producer.send(topic, [
      taskEvent(randomUUID(), 'before'),
      taskEvent(randomUUID(), 'poison'),
      taskEvent(randomUUID(), 'after'),
    ])
    const dispatcher = await start()
    await eventually(() => sink.delivered.length === 2 && deadLetters.delivered.length === 1, 'flow and DLQ')
    const dead = deadLetters.delivered[0]!
    expect(dead.headers['ce-knativeerrorcode']).toBe('422')
    expect(dead.headers['ce-knativeerrordest']).toBe(sink.url)
    expect(Buffer.from(String(dead.headers['ce-knativeerrordata']), 'base64').toString()).toBe(
      'title rejected',
    )
    expect(JSON.parse(dead.body).task.title).toBe('poison')
    expect(sink.delivered.map((r) => JSON.parse(r.body).task.title)).toEqual(['before', 'after'])
    expect(sink.requests.filter((r) => r.body.includes('poison'))).toHaveLength(1)
    // The sink records a request before answering it: the dispatcher counts once the answer arrives.
    await eventually(() => dispatcher.stats().delivered === 2, 'dispatcher counted both deliveries')
    expect(dispatcher.stats()).toMatchObject({ delivered: 2, deadLettered: 1 })
  })

  it('sends its own token for each sink, and a sink refusing the sender is counted, not retried', async () => {
    const { topic, sink, deadLetters, producer, start } = await setup(1, {
      sinkAudience: 'serving.knative.dev/service/taskflow/fn',
      deadLetterAudience: 'eventing.knative.dev/kafkasink/taskflow/dlq',
    })
    // A stand-in token source: the token names whom it was minted for.
    const identity = {
      subject: 'system:serviceaccount:taskflow:src',
      tokens: { token: async (s: string, a: string) => `${s}@${a}` },
    }
    sink.reply = () => ({ status: 401, body: 'no such sender' })
    await producer.send(topic, [taskEvent(randomUUID(), 'refused')])
    const dispatcher = await start({ identity })
    await eventually(() => dispatcher.stats().deadLettered === 1, 'dead-lettered at once')
    expect(sink.requests).toHaveLength(1)
    expect(sink.requests[0]!.headers.authorization).toBe(
      'Bearer system:serviceaccount:taskflow:src@serving.knative.dev/service/taskflow/fn',
    )
    expect(deadLetters.delivered[0]!.headers.authorization).toBe(
      'Bearer system:serviceaccount:taskflow:src@eventing.knative.dev/kafkasink/taskflow/dlq',
    )
    expect(dispatcher.stats()).toMatchObject({ refused: 1, deadLettered: 1, retried: 0 })
  })

  it('dead-letters after retries are exhausted', async () => {
    const { topic, sink, deadLetters, producer, start } = await setup(1, {
      delivery: { retry: 2, backoffPolicy: 'linear', backoffDelayMs: 5, timeoutMs: 5_000 },
    })
    sink.reply = () => ({ status: 500 })
    await producer.send(topic, [taskEvent(randomUUID(), 'always-500')])
    const dispatcher = await start()
    await eventually(() => dispatcher.stats().deadLettered === 1, 'dead-lettered after retries')
    expect(sink.requests).toHaveLength(3)
    expect(deadLetters.delivered[0]!.headers['ce-knativeerrorcode']).toBe('500')
    expect(dispatcher.stats()).toMatchObject({ deadLettered: 1, dropped: 0 })
  })

  it('drops a failed event and moves on when there is no dead-letter sink, as Knative does', async () => {
    const { log, topic, sink, producer, spec, start } = await setup(1, { deadLetterSink: null })
    sink.reply = (request) => ({ status: request.body.includes('poison') ? 400 : 202 })
    await producer.send(topic, [taskEvent(randomUUID(), 'poison'), taskEvent(randomUUID(), 'fine')])
    const dispatcher = await start()
    await eventually(() => dispatcher.stats().delivered === 1, 'the next record still flows')
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, dropped: 1, deadLettered: 0 })
    await eventually(
      async () => (await log.lag(spec.consumerGroup, [topic]))[0]!.lag === 0,
      'offset committed past it',
      10_000,
    )
  })

  it('ordered: one request in flight per partition and per-partition order kept', async () => {
    const { topic, sink, producer, start } = await setup(4)
    sink.reply = () => ({ status: 202, delayMs: 2 })
    const tasks = Array.from({ length: 8 }, () => randomUUID())
    const records = Array.from({ length: 80 }, (_, i) => taskEvent(tasks[i % tasks.length]!, `n${i}`))
    await producer.send(topic, records)
    await start()
    await eventually(() => sink.delivered.length === records.length, 'all delivered')
    expect(sink.maxInFlightPerPartition).toBe(1)
    expect(sink.maxInFlight).toBeGreaterThan(1)
    for (const taskId of tasks) {
      const titles = sink.delivered
        .filter((r) => r.headers['ce-subject'] === taskId)
        .map((r) => JSON.parse(r.body).task.title)
      const expected = records
        .map((_, i) => i)
        .filter((i) => tasks[i % tasks.length] === taskId)
        .map((i) => `n${i}`)
      expect(titles).toEqual(expected)
    }
  })

  it('ordered: a partition in retries does not hold up the other partitions', async () => {
    const { topic, sink, producer, start } = await setup(2, {
      // Long enough that the other partition's 20 records must get through during the retries.
      delivery: { retry: 50, backoffPolicy: 'linear', backoffDelayMs: 100, timeoutMs: 5_000 },
    })
    const onPartition = (partition: number) => {
      for (;;) {
        const id = randomUUID()
        if (partitionForKey(id, 2) === partition) return id
      }
    }
    const stuckTask = onPartition(0)
    const flowingTask = onPartition(1)
    let sinkDown = true
    sink.reply = (request) => ({
      status: sinkDown && request.headers['ce-subject'] === stuckTask ? 503 : 202,
    })
    await producer.send(topic, [taskEvent(stuckTask, 'stuck-0'), taskEvent(stuckTask, 'stuck-1')])
    const dispatcher = await start()
    await eventually(() => dispatcher.stats().retried >= 1, 'the first record of partition 0 in retries')
    // One send at a time: each is a fetch of its own for the other partition.
    for (let i = 0; i < 20; i++) await producer.send(topic, [taskEvent(flowingTask, `flowing-${i}`)])
    await eventually(() => sink.delivered.length === 20, 'partition 1 delivered all 20 during the retries')
    const titles = () => sink.delivered.map((r) => JSON.parse(r.body).task.title as string)
    expect(titles()).toEqual(Array.from({ length: 20 }, (_, i) => `flowing-${i}`))
    expect(dispatcher.stats().delivered).toBe(20)

    sinkDown = false
    await eventually(() => sink.delivered.length === 22, 'partition 0 went on once the sink recovered')
    expect(titles().slice(20)).toEqual(['stuck-0', 'stuck-1'])
    expect(sink.maxInFlightPerPartition).toBe(1)
  })

  it('unordered: respects the in-flight bound and delivers everything', async () => {
    const { topic, sink, producer, start } = await setup(2, { ordering: 'unordered' })
    sink.reply = () => ({ status: 202, delayMs: 5 })
    await producer.send(
      topic,
      Array.from({ length: 120 }, (_, i) => taskEvent(randomUUID(), `u${i}`)),
    )
    await start({ maxInFlight: 7 })
    await eventually(() => sink.delivered.length === 120, 'all delivered')
    expect(sink.maxInFlight).toBeLessThanOrEqual(7)
    expect(sink.maxInFlight).toBeGreaterThan(1)
  })

  it('commits only up to the first unfinished record: a restart redelivers it, nothing is lost', async () => {
    const { log, topic, sink, producer, spec, start } = await setup(1, {
      ordering: 'unordered',
      delivery: { retry: 1000, backoffPolicy: 'linear', backoffDelayMs: 20, timeoutMs: 5_000 },
    })
    // The first record keeps failing; the ones after it succeed (unordered lets them pass it).
    let sinkUp = false
    sink.reply = (request) => ({ status: request.body.includes('stuck') && !sinkUp ? 503 : 202 })
    await producer.send(topic, [
      taskEvent(randomUUID(), 'stuck'),
      ...Array.from({ length: 5 }, (_, i) => taskEvent(randomUUID(), `later${i}`)),
    ])
    const first = await start()
    await eventually(() => sink.delivered.length === 5, 'later records delivered past the stuck one')
    await new Promise((resolve) => setTimeout(resolve, 500)) // a few commit intervals
    await first.stop()
    const [lag] = await log.lag(spec.consumerGroup, [topic])
    // Nothing past the stuck record is committed (Kafka: no commit at all; the embedded log: offset 0).
    expect(lag!.lag).toBe(6)
    expect([null, '0']).toContain(lag!.committed)

    sinkUp = true
    sink.delivered.length = 0
    const second = await start()
    await eventually(() => sink.delivered.length === 6, 'everything from the stuck record on comes again')
    expect(sink.delivered.filter((r) => r.body.includes('stuck'))).toHaveLength(1)
    await eventually(
      async () => (await log.lag(spec.consumerGroup, [topic]))[0]!.lag === 0,
      'committed to the end',
      10_000,
    )
    await second.stop()
  })
}
