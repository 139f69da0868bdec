// Dead letters: what the KafkaSources gave up on, read back from the dead-letter topic and, on demand,
// delivered again. A KafkaSource dead-letters an event after its retries (a function down longer than
// the retry budget) or at once on a 4xx; the event keeps its CloudEvent id and gains knativeerrordest
// (the sink it failed at), knativeerrorcode and knativeerrordata. Replaying posts the event, without
// those three, to that sink (or to another URL): the functions record every (source, id) they handled,
// so an event replayed twice, or one that did get through in the end, has no second effect.
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { percentEncodeHeaderValue } from '../../events/src/http/header-values.ts'
import {
  type CloudEventRecord,
  type HttpMessageOut,
  httpCodec,
  type KafkaRecordIn,
  kafkaCodec,
} from '../../events/src/index.ts'
import { headerString } from '../../events/src/kafka/kafka-headers.ts'
import { createConsumer, type Kafka, toConsumedRecord, withAdmin } from '../../kafka/src/index.ts'
import type { SystemManifests } from '../../sources/src/manifests.ts'

export type DeadLetter = {
  partition: number
  offset: string
  /** The timestamp of the dead-letter record (epoch ms). */
  timestamp: number
  /** CloudEvent attributes, read from the record's headers (binary mode) without parsing the data. */
  id: string | undefined
  type: string | undefined
  destination: string | undefined
  code: string | undefined
  /** What a replay posts (binary mode, the data byte for byte); undefined when it cannot (`problem`). */
  message: HttpMessageOut | undefined
  problem: string | undefined
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
              letters.push(deadLetterOf(toConsumedRecord(from, partition, message)))
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

/**
 * A dead-letter record as an operator sees it. A dead letter is exactly the event that may not parse
 * (a 4xx for a broken body), so its attributes come from the record's `ce_` headers and its data is
 * never parsed: a binary-mode record is replayed with its body byte for byte. Only a structured-mode
 * record (attributes inside the value) has to be decoded, and one that does not decode is reported.
 */
export function deadLetterOf(record: KafkaRecordIn): DeadLetter {
  const base = { partition: record.partition, offset: record.offset, timestamp: Number(record.timestamp) }
  const headers = new Map<string, string>()
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    const text = headerString(value, name)
    if (text?.ok) headers.set(name.toLowerCase(), text.value)
  }
  const contentType = headers.get('content-type')
  if (contentType?.toLowerCase().startsWith('application/cloudevents')) {
    const decoded = kafkaCodec.decode(record)
    if (!decoded.ok)
      return { ...base, ...noAttributes, problem: `structured event: ${decoded.error.message}` }
    return fromEvent(base, decoded.value)
  }
  const attribute = (name: string) => headers.get(`ce_${name}`)
  if (attribute('specversion') === undefined)
    return { ...base, ...noAttributes, problem: 'not a CloudEvent: the record has no ce_specversion header' }
  const httpHeaders: Record<string, string> = {}
  for (const [name, value] of headers) {
    if (!name.startsWith('ce_') || isErrorExtension(name.slice(3))) continue
    httpHeaders[`ce-${name.slice(3)}`] = percentEncodeHeaderValue(value)
  }
  if (contentType !== undefined) httpHeaders['content-type'] = contentType
  const body = record.value ?? ''
  const missing = ['id', 'source', 'type'].filter((name) => attribute(name) === undefined)
  return {
    ...base,
    id: attribute('id'),
    type: attribute('type'),
    destination: attribute('knativeerrordest'),
    code: attribute('knativeerrorcode'),
    message: missing.length === 0 ? { headers: httpHeaders, body } : undefined,
    problem: missing.length === 0 ? undefined : `not a CloudEvent: no ce_${missing.join(', ce_')} header`,
  }
}

const noAttributes = {
  id: undefined,
  type: undefined,
  destination: undefined,
  code: undefined,
  message: undefined,
}

function isErrorExtension(name: string): boolean {
  return (errorExtensions as readonly string[]).includes(name)
}

function fromEvent(
  base: Pick<DeadLetter, 'partition' | 'offset' | 'timestamp'>,
  decoded: CloudEventRecord,
): DeadLetter {
  const text = (name: string) => (typeof decoded[name] === 'string' ? (decoded[name] as string) : undefined)
  const event: CloudEventRecord = { ...decoded }
  for (const name of errorExtensions) delete event[name]
  return {
    ...base,
    id: text('id'),
    type: text('type'),
    destination: text('knativeerrordest'),
    code: text('knativeerrorcode'),
    message: httpCodec.encode(event),
    problem: undefined,
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
    timeoutMs?: number
    /** Sent as `Bearer`: the sender's token, or the token for a target (undefined: none). */
    token?: string | ((target: string) => string | undefined)
  } = {},
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = []
  for (const letter of letters) {
    const target = options.to ?? letter.destination
    const message = letter.message
    if (message === undefined || target === undefined) {
      const detail =
        letter.problem ?? 'the dead letter does not name the sink it failed at (knativeerrordest)'
      outcomes.push({ letter, target, result: 'skipped', detail })
      continue
    }
    const token = typeof options.token === 'function' ? options.token(target) : options.token
    const headers =
      token === undefined ? message.headers : { ...message.headers, authorization: `Bearer ${token}` }
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
