// Scenario 5: poison records on every topic a KafkaSource reads. Each must reach the dead-letter topic
// with Knative's error extensions (knativeerrordest, knativeerrorcode, knativeerrordata) once per
// source that reads it, within that source's retry budget, and the valid record behind it on the same
// partition must still be delivered: a poison never blocks a partition.
// Needs: java + mvn (a broker of the scenario's own) and PostgreSQL.
import { randomBytes, randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEvent, EventTypes, kafkaCodec } from '../../events/src/index.ts'
import {
  type ConsumedRecord,
  createKafkaClient,
  createProducer,
  type Kafka,
  type RecordProducer,
} from '../../kafka/src/index.ts'
import type { KafkaSourceSpec } from '../../local/src/eventing/kafka-source.ts'
import { totalBackoffMs } from '../../platform/src/knative-delivery.ts'
import { eventually as eventuallyInSystem } from '../integration/e2e/local-system.ts'
import { eventually } from '../support/eventually.ts'
import { readTopicToEnd } from '../support/kafka.ts'
import { taskSnapshot } from '../support/task-events.ts'
import { useFaultSystem } from './support/fault-system.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'

const ready = await scenarioServicesAvailable()

type Headers = Record<string, string | Buffer>
interface Poison {
  readonly kind: string
  headers(valid: Headers): Headers
  value(valid: Buffer): Buffer
}

// Each poison starts from a valid record of the topic and breaks one thing.
const poisons: Poison[] = [
  {
    kind: 'not JSON',
    headers: () => ({ 'content-type': 'application/json' }),
    value: () => Buffer.from('{"task": not json'),
  },
  {
    kind: 'wrong schema',
    headers: (valid) => valid,
    value: () => Buffer.from(JSON.stringify({ task: { id: 42, title: ['not', 'a', 'title'] } })),
  },
  {
    kind: 'non-UTF-8 header',
    // ce_type bytes that are not UTF-8: decoded they name no taskflow event type.
    headers: (valid) => ({
      ...valid,
      ce_type: Buffer.concat([Buffer.from(valid.ce_type!), Buffer.from([0xc3, 0x28, 0xff])]),
    }),
    value: (valid) => valid,
  },
  {
    kind: 'missing ce_id',
    headers: ({ ce_id: _dropped, ...rest }) => rest,
    value: (valid) => valid,
  },
  {
    // About the largest record a source topic takes (Kafka's default max.message.bytes, 1,048,588 bytes
    // with headers and batch overhead), incompressible: its dead letter is larger still.
    kind: '1 MB value',
    headers: (valid) => valid,
    value: () => Buffer.from(JSON.stringify({ padding: randomBytes(780_000).toString('base64') })),
  },
]

const watcher = 'poison-watcher'

/** A valid record of each topic a KafkaSource reads, for a task of its own (key = task id). */
function validRecord(topic: 'task-events' | 'reminder-events', taskId: string) {
  const event =
    topic === 'task-events'
      ? createEvent({
          type: EventTypes.TaskCreated,
          source: '/taskflow/api',
          data: {
            task: taskSnapshot({
              id: taskId,
              assignee: watcher,
              watchers: [],
              remindAt: new Date(Date.now() + 86_400_000).toISOString(),
            }),
          },
          actor: 'alice',
        })
      : createEvent({
          type: EventTypes.ReminderDue,
          source: '/taskflow/reminders',
          data: {
            taskId,
            title: 'a reminder',
            remindAt: new Date().toISOString(),
            dueAt: null,
            assignee: watcher,
            watchers: [],
            createdBy: 'alice',
          },
        })
  return kafkaCodec.encode(event, { mode: 'binary' })
}

describe.runIf(ready)('scenario 5: poison records on every topic a KafkaSource reads', () => {
  const faultSystem = useFaultSystem()
  let client: Kafka
  let producer: RecordProducer
  beforeAll(async () => {
    client = createKafkaClient({
      brokers: faultSystem().kafka.brokers,
      clientId: 'poison-scenario',
      logger: pino({ level: 'silent' }),
    })
    producer = createProducer(client)
    await producer.connect()
  }, 240_000)
  afterAll(async () => {
    await producer?.disconnect()
  })

  it('each poison is dead-lettered with a 4xx and the error extensions within the retry budget; the partition keeps flowing', async () => {
    const system = faultSystem()
    const started = Date.now()
    const sut = system.sut.system
    const topics = [...new Set(sut.sources.flatMap((source) => source.spec.topics))].sort()
    expect(topics).toEqual(['reminder-events', 'task-events'])

    const sent: { id: string; topic: string; kind: string; follower: string; at: number }[] = []
    for (const topic of topics as ('task-events' | 'reminder-events')[]) {
      for (const poison of poisons) {
        // The poison and the valid record behind it share a key, hence a partition.
        const taskId = randomUUID()
        const valid = validRecord(topic, taskId)
        const id = `${poison.kind.replaceAll(' ', '-')}@${topic}`
        await producer.raw.send({
          topic,
          acks: -1,
          messages: [
            {
              key: taskId,
              value: poison.value(valid.value),
              headers: { ...poison.headers(valid.headers), 'x-poison': id, ce_poisonid: id },
            },
            { key: taskId, value: valid.value, headers: valid.headers },
          ],
        })
        sent.push({ id, topic, kind: poison.kind, follower: taskId, at: Date.now() })
      }
    }

    // Who reads what: every source of a topic dead-letters its own copy of the topic's poisons.
    const readers = new Map(
      topics.map((topic) => [topic, sut.sources.filter((source) => source.spec.topics.includes(topic))]),
    )
    const expected = sent.flatMap((poison) =>
      readers.get(poison.topic)!.map((source) => ({ poison, source: source.spec })),
    )
    // A dead letter is identified by the poison id it carries, as an extension or a wrapped header.
    const poisonIdOf = (headers: Record<string, string>) =>
      headers.ce_poisonid ?? headers.ce_kafkaheaderxpoison
    const letterOf = (records: readonly ConsumedRecord[], poison: { id: string }, source: KafkaSourceSpec) =>
      records.find(
        (record) =>
          poisonIdOf(record.headers) === poison.id && record.headers.ce_knativeerrordest === source.sink.href,
      )
    // Wait as long as the slowest source may retry before it dead-letters (a poison is a 4xx and should
    // not need it, but a function that is starting may answer 503 first).
    let deadLetters: ConsumedRecord[] = []
    const missing = () =>
      expected.filter(({ poison, source }) => letterOf(deadLetters, poison, source) === undefined)
    await eventually(
      async () => {
        deadLetters = await readTopicToEnd(client, 'dead-letters')
        return missing().length === 0
      },
      'every poison dead-lettered by every source that reads it',
      {
        timeoutMs: Math.max(...sut.sources.map((source) => totalBackoffMs(source.spec.delivery))) + 60_000,
        intervalMs: 1_000,
      },
    ).catch((error: unknown) => {
      const stats = sut.sources.map((source) => `${source.spec.name} ${JSON.stringify(source.stats())}`)
      const absent = missing().map(({ poison, source }) => `${poison.id} via ${source.name}`)
      throw new Error(`${String(error)}; missing: ${absent.join(', ')}; sources: ${stats.join('; ')}`)
    })

    const arrivals: number[] = []
    for (const { poison, source } of expected) {
      const letter = letterOf(deadLetters, poison, source)!
      expect(letter.headers.ce_knativeerrorcode, `${poison.id} via ${source.name}`).toMatch(/^4\d\d$/)
      expect(letter.headers.ce_knativeerrordata, `${poison.id} via ${source.name}`).toBeTruthy()
      arrivals.push(Number(letter.timestamp) - poison.at)
    }

    // The valid record behind each poison was delivered: audit entry and notification of its task.
    const flowed = await eventuallyInSystem(async () => {
      const audited = await system.sql.query<{ n: string }>(
        'select count(*) as n from audit.entries where task_id = any($1::uuid[])',
        [sent.filter((p) => p.topic === 'task-events').map((p) => p.follower)],
      )
      const notified = await system.sql.query<{ n: string }>(
        'select count(*) as n from notifications.notifications where recipient = $1 and task_id = any($2::uuid[])',
        [watcher, sent.map((p) => p.follower)],
      )
      const counts = { audited: Number(audited.rows[0]!.n), notified: Number(notified.rows[0]!.n) }
      return counts.audited === poisons.length && counts.notified === sent.length ? counts : undefined
    }, 'the valid record behind every poison delivered')

    const retries = sut.sources.reduce((sum, source) => sum + source.stats().retried, 0)
    recordScenario({
      id: '5-poison-records',
      title: `Poison records (${poisons.map((p) => p.kind).join(', ')}) on every topic a KafkaSource reads`,
      sent: expected.length,
      delivered: expected.length - missing().length,
      duplicatesSeenByUsers: null,
      lost: missing().length,
      details: {
        'slowest poison to the dead-letter topic (ms)': Math.max(...arrivals),
        'valid records behind the poisons delivered': flowed.notified,
        'retries spent on poisons': retries,
        // At least once: a poison whose offset was not yet committed when a consumer restarted is
        // dead-lettered again (Knative's own pain point, eventing-kafka-broker#3079).
        'dead letters more than once': deadLetters.length - expected.length,
      },
      durationMs: Date.now() - started,
    })
  })
})
