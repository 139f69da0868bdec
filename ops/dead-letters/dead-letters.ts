// Dead letters: what the KafkaSources gave up on, read back from the dead-letter topic and, on demand,
// delivered again. A KafkaSource dead-letters an event after its retries (a function down longer than
// the retry budget) or at once on a 4xx; the event keeps its CloudEvent id and gains knativeerrordest
// (the sink it failed at), knativeerrorcode and knativeerrordata. Replaying posts the event, without
// those three, to that sink (or to another URL): the functions record every (source, id) they handled,
// so an event replayed twice, or one that did get through in the end, has no second effect.
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { type CloudEventRecord, httpCodec, kafkaCodec } from '../../events/src/index.ts'
import { createConsumer, type Kafka, toConsumedRecord, withAdmin } from '../../kafka/src/index.ts'
import type { SystemManifests } from '../../sources/src/manifests.ts'

export type DeadLetter = {
  partition: number
  offset: string
  /** The broker's timestamp of the dead-letter record (epoch ms). */
  timestamp: number
  /** The event as dead-lettered; undefined when the record is not a CloudEvent (`problem` says why). */
  event: CloudEventRecord | undefined
  problem: string | undefined
  destination: string | undefined
  code: string | undefined
}

export type DeadLetterFilter = {
  /** Only dead letters whose knativeerrordest contains this text. */
  destination?: string
  /** Only these codes; `5xx` (or `4xx`) matches the whole class. */
  codes?: readonly string[]
  /** Only dead letters written at or after this instant. */
  since?: Date
}

/** The topics of the KafkaSinks the KafkaSources dead-letter to (sources/ is the one place that says). */
export function deadLetterTopics(manifests: SystemManifests): string[] {
  const topics = new Set<string>()
  for (const source of manifests.kafkaSources) {
    const ref = source.delivery.deadLetterSink?.ref
    if (ref?.kind !== 'KafkaSink') continue
    const sink = manifests.kafkaSinks.find((candidate) => candidate.name === ref.name)
    if (sink === undefined)
      throw new Error(
        `KafkaSource ${source.name} dead-letters to KafkaSink ${ref.name}, which sources/ does not define`,
      )
    topics.add(sink.topic)
  }
  return [...topics]
}

export const errorExtensions = ['knativeerrordest', 'knativeerrorcode', 'knativeerrordata'] as const

export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.since !== undefined && letter.timestamp < filter.since.getTime()) return false
  if (filter.destination !== undefined && !(letter.destination ?? '').includes(filter.destination))
    return false
  if (filter.codes !== undefined && filter.codes.length > 0) {
    const code = letter.code ?? ''
    const hit = filter.codes.some((wanted) =>
      /^[1-5]xx$/i.test(wanted) ? code.length === 3 && code[0] === wanted[0] : code === wanted,
    )
    if (!hit) return false
  }
  return true
}

/**
 * Every record on the topic up to its end when the call started, in partition and offset order. Reads
 * with a group of its own that commits nothing: the topic, kept for its retention, is the record of what
 * failed, and reading it changes nothing.
 */
export async function readDeadLetters(kafka: Kafka, topic: string): Promise<DeadLetter[]> {
  const ends = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic))
  const remaining = new Map<number, bigint>()
  for (const { partition, high, low } of ends) {
    if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high))
  }
  const letters: DeadLetter[] = []
  if (remaining.size === 0) return letters
  const consumer = createConsumer(kafka, { groupId: `taskflow-dead-letters-${randomUUID()}` })
  await consumer.connect()
  try {
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error))
      void consumer
        .subscribe({ topics: [topic], fromBeginning: true })
        .then(() =>
          consumer.run({
            autoCommit: false,
            eachMessage: async ({ topic: from, partition, message }) => {
              const end = remaining.get(partition)
              if (end === undefined || BigInt(message.offset) >= end) return
              letters.push(toDeadLetter(toConsumedRecord(from, partition, message)))
              if (BigInt(message.offset) + 1n >= end) remaining.delete(partition)
              if (remaining.size === 0) resolve()
            },
          }),
        )
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
}

function toDeadLetter(record: ReturnType<typeof toConsumedRecord>): DeadLetter {
  const decoded = kafkaCodec.decode(record)
  const base = { partition: record.partition, offset: record.offset, timestamp: Number(record.timestamp) }
  if (!decoded.ok) {
    return {
      ...base,
      event: undefined,
      problem: decoded.error.message,
      destination: undefined,
      code: undefined,
    }
  }
  const event = decoded.value
  const text = (name: string) => (typeof event[name] === 'string' ? (event[name] as string) : undefined)
  return {
    ...base,
    event,
    problem: undefined,
    destination: text('knativeerrordest'),
    code: text('knativeerrorcode'),
  }
}

export type ReplayOutcome = {
  letter: DeadLetter
  target: string | undefined
  /** replayed: the sink answered 2xx; failed: it did not (status or error in `detail`); skipped: nowhere to send. */
  result: 'replayed' | 'failed' | 'skipped'
  detail: string | undefined
}

/** Posts each dead letter, without the error extensions, to `to` or to the sink it failed at, in order. */
export async function replayDeadLetters(
  letters: readonly DeadLetter[],
  options: {
    to?: string
    timeoutMs?: number /** Sent as `Bearer`: the sender's token. */
    token?: string
  } = {},
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = []
  for (const letter of letters) {
    const target = options.to ?? letter.destination
    if (letter.event === undefined || target === undefined) {
      const detail =
        letter.problem ?? 'the dead letter does not name the sink it failed at (knativeerrordest)'
      outcomes.push({ letter, target, result: 'skipped', detail })
      continue
    }
    const event: CloudEventRecord = { ...letter.event }
    for (const name of errorExtensions) delete event[name]
    const message = httpCodec.encode(event)
    const headers =
      options.token === undefined
        ? message.headers
        : { ...message.headers, authorization: `Bearer ${options.token}` }
    try {
      const response = await request(target, {
        method: 'POST',
        headers,
        body: message.body,
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
      })
      await response.body.dump()
      const ok = response.statusCode >= 200 && response.statusCode < 300
      outcomes.push({
        letter,
        target,
        result: ok ? 'replayed' : 'failed',
        detail: `HTTP ${response.statusCode}`,
      })
    } catch (error) {
      outcomes.push({
        letter,
        target,
        result: 'failed',
        detail: error instanceof Error ? error.message : String(error),
      })
    }
  }
  return outcomes
}
