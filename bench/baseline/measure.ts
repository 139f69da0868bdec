// The baseline measurements, the limit of this machine: kafkajs (through kafka/) producing and consuming
// the bench records, and consuming them into plain HTTP POSTs with an undici Pool. The dispatch
// benchmark compares the local KafkaSource with these, measured in the same run: results are kept per
// topic for the run, so a benchmark that needs a baseline already measured reuses it.
import { randomUUID } from 'node:crypto'
import { Pool } from 'undici'
import {
  createConsumer,
  createKafkaClient,
  createProducer,
  type EachBatchPayload,
  type KafkaMessage,
} from '../../kafka/src/index.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'
import type { NoopSink } from '../src/harness/noop-sink.ts'
import { benchRecordBatches } from '../src/harness/records.ts'
import { createBenchTopic } from '../src/harness/services.ts'
import { perSecond } from '../src/harness/stats.ts'

export interface Measurement {
  readonly events: number
  readonly elapsedMs: number
  readonly eventsPerSecond: number
  /** CPU of the measured process (user + system) over the measurement. */
  readonly cpuMs: number
  /** CPU of the sink process over the measurement, when there is one. */
  readonly sinkCpuMs?: number
}

export type Ordering = 'ordered' | 'unordered'

export interface FilledTopic {
  readonly topic: string
  readonly partitions: number
  readonly records: number
  readonly produce: Measurement
}

const filledTopics = new Map<string, Promise<FilledTopic>>()
const postBaselines = new Map<string, Promise<Measurement>>()

/**
 * A topic holding `records` bench records, produced once per run (the produce is measured). Plain by
 * default; `gzip` writes them as the system's producers write a backlog (2,000-record batches gzipped).
 */
export function filledTopic(
  context: BenchContext,
  partitions: number,
  records: number,
  compression: 'none' | 'gzip' = 'none',
): Promise<FilledTopic> {
  const key = `${partitions}:${records}:${compression}`
  let filled = filledTopics.get(key)
  if (!filled) {
    filled = fillTopic(context, partitions, records, compression)
    filledTopics.set(key, filled)
    filled.catch(() => filledTopics.delete(key))
  }
  return filled
}

async function fillTopic(
  context: BenchContext,
  partitions: number,
  records: number,
  compression: 'none' | 'gzip',
): Promise<FilledTopic> {
  const brokers = await context.kafkaBrokers()
  const suffix = compression === 'none' ? '' : `-${compression}`
  const topic = await createBenchTopic(brokers, `p${partitions}${suffix}`, partitions, context)
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-bench-producer' })
  // Plain unless asked: the records stay as the consumers will read them, and gzip would measure zlib.
  const producer = createProducer(kafka, { compression })
  await producer.connect()
  const bar = context.progress(`produce ${partitions}p${suffix}`, records)
  try {
    const cpuBefore = process.cpuUsage()
    const startedAt = performance.now()
    let sent = 0
    for (const batch of benchRecordBatches(records, 2_000)) {
      await producer.send(topic, batch)
      sent += batch.length
      bar.update(sent)
    }
    const elapsedMs = performance.now() - startedAt
    bar.finish()
    return {
      topic,
      partitions,
      records,
      produce: {
        events: records,
        elapsedMs,
        eventsPerSecond: perSecond(records, elapsedMs),
        cpuMs: cpuMsSince(cpuBefore),
      },
    }
  } finally {
    await producer.disconnect()
  }
}

export function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

/** Consumes the whole topic with a fresh group, until `handle` finished the last record. */
async function consumeAll(
  context: BenchContext,
  filled: FilledTopic,
  label: string,
  handle: (payload: EachBatchPayload) => Promise<void>,
  sink?: NoopSink,
): Promise<Measurement> {
  const brokers = await context.kafkaBrokers()
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-bench-consumer' })
  const consumer = createConsumer(kafka, { groupId: `bench-${randomUUID()}`, maxWaitTimeMs: 100 })
  const bar = context.progress(label, filled.records)
  let done = 0
  let startedAt = 0
  let cpuBefore: NodeJS.CpuUsage | undefined
  let sinkCpuBefore = 0
  let finish: (() => void) | undefined
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  try {
    if (sink) sinkCpuBefore = await sink.cpuMs()
    // The clock starts once the group is joined: offset lookup and the first fetch are measured, the
    // join (seconds, a group protocol delay) is not; the dispatch benchmark starts its clock alike.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      startedAt = performance.now()
      cpuBefore = process.cpuUsage()
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [filled.topic], fromBeginning: true })
    await consumer.run({
      partitionsConsumedConcurrently: filled.partitions,
      eachBatch: async (payload) => {
        await handle(payload)
        done += payload.batch.messages.length
        bar.update(done)
        if (done >= filled.records) finish?.()
      },
    })
    await withTimeout(finished, context.size(300_000, 60_000), () => `${label}: ${done} of ${filled.records}`)
    const elapsedMs = performance.now() - startedAt
    const cpuMs = cpuMsSince(cpuBefore!)
    const sinkCpuMs = sink ? (await sink.cpuMs()) - sinkCpuBefore : undefined
    bar.finish()
    return {
      events: done,
      elapsedMs,
      eventsPerSecond: perSecond(done, elapsedMs),
      cpuMs,
      ...(sinkCpuMs === undefined ? {} : { sinkCpuMs }),
    }
  } finally {
    bar.finish()
    await consumer.disconnect()
  }
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms (${what()})`)), timeoutMs)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Raw consume: kafkajs hands over every batch and nothing is done with it. */
export function measureRawConsume(context: BenchContext, filled: FilledTopic): Promise<Measurement> {
  return consumeAll(context, filled, `consume ${filled.partitions}p`, async () => {})
}

/**
 * Consume -> HTTP POST of each record as a binary-mode CloudEvent (`ce_` headers renamed `ce-`, the
 * value as body), with no parsing: the least work a dispatcher can do. `unordered`: 100 requests in
 * flight over the consumer; `ordered`: one in flight per partition.
 */
export function measureConsumePost(
  context: BenchContext,
  filled: FilledTopic,
  sink: NoopSink,
  ordering: Ordering,
): Promise<Measurement> {
  const key = `${filled.topic}:${ordering}`
  let measured = postBaselines.get(key)
  if (!measured) {
    measured = consumePost(context, filled, sink, ordering)
    postBaselines.set(key, measured)
    measured.catch(() => postBaselines.delete(key))
  }
  return measured
}

export const unorderedInFlight = 100

async function consumePost(
  context: BenchContext,
  filled: FilledTopic,
  sink: NoopSink,
  ordering: Ordering,
): Promise<Measurement> {
  const pool = new Pool(sink.url.origin, {
    connections: ordering === 'ordered' ? filled.partitions : unorderedInFlight,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  })
  const post = async (message: KafkaMessage) => {
    const response = await pool.request({
      method: 'POST',
      path: sink.url.pathname,
      headers: httpHeadersOf(message),
      body: message.value,
    })
    await response.body.dump()
    if (response.statusCode !== 202) throw new Error(`the sink answered ${response.statusCode}`)
  }
  const slots = new Slots(unorderedInFlight)
  const label = `POST ${ordering} ${filled.partitions}p`
  try {
    if (ordering === 'ordered') {
      return await consumeAll(
        context,
        filled,
        label,
        async ({ batch }) => {
          for (const message of batch.messages) await post(message)
        },
        sink,
      )
    }
    return await consumeAll(
      context,
      filled,
      label,
      async ({ batch }) => {
        const running: Promise<void>[] = []
        for (const message of batch.messages) {
          await slots.acquire()
          running.push(post(message).finally(slots.release))
        }
        await Promise.all(running)
      },
      sink,
    )
  } finally {
    await pool.close()
  }
}

/** Kafka binary mode -> HTTP binary mode: `ce_x` headers become `ce-x`, content-type is kept. */
export function httpHeadersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue
    const text = (Array.isArray(value) ? value.at(-1) : value)?.toString() ?? ''
    headers[name.startsWith('ce_') ? `ce-${name.slice(3)}` : name] = text
  }
  return headers
}

/** The in-flight bound of the unordered baseline. */
class Slots {
  #free: number
  readonly #waiting: (() => void)[] = []
  constructor(count: number) {
    this.#free = count
  }
  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--
      return undefined
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }
  release = (): void => {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}
