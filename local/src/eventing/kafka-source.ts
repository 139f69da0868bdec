// The local KafkaSource: consumes a consumer group and delivers each record as a CloudEvent (HTTP binary
// mode) to the sink, exactly as Knative's KafkaSource dispatcher (eventing-kafka-broker) does:
// - record -> CloudEvent: CloudEvents pass through (structured or binary), anything else is wrapped with
//   the Knative attributes; every event gets knativekafkapartition/offset, then ceOverrides;
// - retries per `delivery` on >= 500, 404, 408, 409, 429 and network errors; any other failure goes to
//   the dead-letter sink with knativeerrordest/code/data; no dead-letter sink (or it fails too) = dropped;
// - `ordered`: one request in flight per partition; `unordered`: up to `maxInFlight` per consumer;
// - offsets committed only up to the first unfinished record of each partition (at-least-once).
// - sender identity: with a token source, each request carries the source's own OIDC token for the
//   sink's audience (and the dead-letter sink's for its own), as with `authentication-oidc` on.
// Unlike Knative's ordered mode (a 200 ms poll timer, 250 events/s whatever the sink's speed), the
// next record of a partition is sent as soon as the previous one finished.
import type { Logger } from 'pino'
import {
  httpCodec,
  type KafkaRecordIn,
  type KnativeSourceRef,
  kafkaRecordToHttpBinary,
  wrapUndecodableRecord,
} from '../../../events/src/index.ts'
import type { DeliveryPolicy } from '../../../platform/src/knative-delivery.ts'
import { defaultCommitIntervalMs } from '../eventlog/defaults.ts'
import type { BatchContext, EventLog, GroupConsumer, LogRecord, PartitionBatch } from '../eventlog/types.ts'
import type { DispatchMetrics } from './dispatch-metrics.ts'
import { PartitionOffsetTracker } from './offset-tracker.ts'
import { authorizationFor, isSenderRefusal, type SenderIdentity } from './sender-identity.ts'
import { type DeliveryOutcome, deadLetterHeaders, type HttpEventRequest, SinkClient } from './sink-client.ts'

export interface KafkaSourceSpec {
  readonly name: string
  readonly namespace: string
  readonly topics: readonly string[]
  readonly consumerGroup: string
  readonly initialOffset: 'earliest' | 'latest'
  readonly ordering: 'ordered' | 'unordered'
  readonly delivery: DeliveryPolicy
  readonly sink: URL
  /** Without one, Knative drops events that fail: configure one wherever nothing may be lost. */
  readonly deadLetterSink: URL | null
  readonly ceOverrides?: Record<string, string>
  /** The OIDC audiences of the sink and the dead-letter sink; none: no token is sent there. */
  readonly sinkAudience?: string | undefined
  readonly deadLetterAudience?: string | undefined
}

export interface KafkaSourceStats {
  readonly inFlight: number
  readonly delivered: number
  readonly retried: number
  readonly deadLettered: number
  /** Failed with no dead-letter sink, or the dead-letter sink failed too (Knative drops them). */
  readonly dropped: number
  /** Deliveries a sink refused this source as a sender (401/403): a misconfiguration, never retried. */
  readonly refused: number
}

export interface KafkaSourceOptions {
  readonly spec: KafkaSourceSpec
  readonly log: EventLog
  readonly logger: Logger
  /** Knative's `max.poll.records`: the in-flight bound of an `unordered` consumer. */
  readonly maxInFlight?: number
  readonly commitIntervalMs?: number
  /** Records per fetched batch. */
  readonly maxBatchRecords?: number
  /** Shared HTTP client (one keep-alive pool per sink origin); created when absent. */
  readonly sinkClient?: SinkClient
  /** Absent: no tokens are sent (sender identity off). */
  readonly identity?: SenderIdentity
  /** Knative's dispatcher metrics, when the process exports them. */
  readonly metrics?: DispatchMetrics
}

export interface KafkaSourceDispatcher {
  readonly spec: KafkaSourceSpec
  /** Who it sends as: another replica of the same source uses the same identity. */
  readonly identity: SenderIdentity | undefined
  stats(): KafkaSourceStats
  consumer(): GroupConsumer
  stop(): Promise<void>
}

const defaultMaxInFlight = 50
// Records per batch handed to the dispatcher. Kafka has them in memory already (one fetch), so a large
// slice keeps the unordered in-flight window full instead of draining it every few hundred records.
const dispatcherMaxBatchRecords = 5_000

export async function startKafkaSource(options: KafkaSourceOptions): Promise<KafkaSourceDispatcher> {
  const { spec, log, logger } = options
  const maxInFlight = options.maxInFlight ?? defaultMaxInFlight
  const ownsClient = options.sinkClient === undefined
  const sinkClient = options.sinkClient ?? new SinkClient({ connections: maxInFlight })
  const knative: KnativeSourceRef = {
    namespace: spec.namespace,
    sourceName: spec.name,
    ceOverrides: spec.ceOverrides,
  }
  const counters = { inFlight: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, refused: 0 }
  const slots = new Semaphore(spec.ordering === 'ordered' ? Number.POSITIVE_INFINITY : maxInFlight)
  const sourceLogger = logger.child({ source: spec.name })
  const bearer = authorizationFor(options.identity)
  const metricLabels = {
    kn_kafkasource_name: spec.name,
    kn_kafkasource_namespace: spec.namespace,
    messaging_consumer_group_name: spec.consumerGroup,
  }
  const untrackSource = options.metrics?.trackSource(metricLabels, () => counters)

  const consumer = log.consumer({
    groupId: spec.consumerGroup,
    topics: spec.topics,
    initialOffset: spec.initialOffset,
    commitIntervalMs: options.commitIntervalMs ?? defaultCommitIntervalMs,
    maxBatchRecords: options.maxBatchRecords ?? dispatcherMaxBatchRecords,
  })

  /** One record, start to final outcome (delivered, dead-lettered or dropped). Never throws. */
  async function dispatch(record: LogRecord, context: BatchContext): Promise<void> {
    counters.inFlight++
    const receivedAt = performance.now()
    try {
      const request = toHttpRequest(record, knative)
      const token = await bearer(spec.sinkAudience)
      if (token !== undefined) request.headers.authorization = token
      const eventType = request.headers['ce-type'] ?? 'unknown'
      const dispatchedAt = performance.now()
      options.metrics?.processed(metricLabels, eventType, dispatchedAt - receivedAt)
      const outcome = await sinkClient.deliver(spec.sink, request, spec.delivery, {
        signal: context.signal,
        onRetry: () => {
          counters.retried++
        },
      })
      if (outcome.kind !== 'aborted') {
        const status = outcome.kind === 'delivered' ? outcome.status : outcome.last.status
        options.metrics?.dispatched(metricLabels, status, eventType, performance.now() - dispatchedAt)
      }
      if (outcome.kind === 'delivered') {
        counters.delivered++
        return
      }
      if (outcome.kind === 'aborted') throw new RevokedError()
      await deadLetter(request, outcome, record, context)
    } finally {
      counters.inFlight--
    }
  }

  async function deadLetter(
    request: HttpEventRequest,
    outcome: Extract<DeliveryOutcome, { kind: 'failed' }>,
    record: LogRecord,
    context: BatchContext,
  ): Promise<void> {
    const where = { topic: record.topic, partition: record.partition, offset: record.offset }
    const status = outcome.last.status ?? outcome.last.error?.message
    if (isSenderRefusal(status)) {
      counters.refused++
      sourceLogger.error(
        { ...where, status, sink: spec.sink.href },
        'the sink refused this source as a sender: check its sink.audience and the sink’s allowed senders',
      )
    }
    if (!spec.deadLetterSink) {
      counters.dropped++
      sourceLogger.error(
        { ...where, status, reason: outcome.reason },
        'delivery failed, no dead-letter sink: dropped',
      )
      return
    }
    const headers = deadLetterHeaders(request, spec.sink, outcome.last)
    // The sink's token is no good at the dead-letter sink: it gets one for its own audience.
    delete headers.authorization
    const token = await bearer(spec.deadLetterAudience)
    if (token !== undefined) headers.authorization = token
    const dlq = { headers, body: request.body }
    const dlqOutcome = await sinkClient.deliver(spec.deadLetterSink, dlq, spec.delivery, {
      signal: context.signal,
    })
    if (dlqOutcome.kind === 'delivered') {
      counters.deadLettered++
      sourceLogger.warn({ ...where, status, reason: outcome.reason }, 'event dead-lettered')
    } else if (dlqOutcome.kind === 'aborted') {
      throw new RevokedError()
    } else {
      counters.dropped++
      if (isSenderRefusal(dlqOutcome.last.status)) counters.refused++
      sourceLogger.error({ ...where, status }, 'dead-letter sink failed too: event dropped (as Knative does)')
    }
  }

  async function orderedBatch(batch: PartitionBatch, context: BatchContext): Promise<void> {
    for (const record of batch.records) {
      if (!context.isActive()) return
      await dispatch(record, context)
      context.resolveOffset(record.offset)
    }
  }

  async function unorderedBatch(batch: PartitionBatch, context: BatchContext): Promise<void> {
    const first = batch.records[0]
    if (!first) return
    const tracker = new PartitionOffsetTracker(Number(first.offset))
    const running: Promise<void>[] = []
    for (const record of batch.records) {
      await slots.acquire()
      if (!context.isActive()) {
        slots.release()
        break
      }
      const offset = Number(record.offset)
      tracker.start(offset)
      running.push(
        dispatch(record, context).then(() => {
          slots.release()
          const before = tracker.committable
          tracker.finish(offset)
          if (tracker.committable > before) context.resolveOffset(String(tracker.committable - 1))
        }, slots.releaseAndRethrow),
      )
    }
    await Promise.all(running)
  }

  const eachBatch = spec.ordering === 'ordered' ? orderedBatch : unorderedBatch
  await consumer.run({
    // Ordered: every assigned partition progresses independently, one request in flight each.
    partitionsConsumedConcurrently: spec.ordering === 'ordered' ? 1024 : 64,
    eachBatch: async (batch, context) => {
      const heartbeat = setInterval(() => void context.heartbeat().catch(() => {}), 3_000)
      try {
        await eachBatch(batch, context)
      } catch (error) {
        // Revoked or stopping mid-batch: unresolved records stay uncommitted and come again.
        if (!(error instanceof RevokedError)) throw error
      } finally {
        clearInterval(heartbeat)
      }
    },
  })
  sourceLogger.info(
    { topics: spec.topics, group: spec.consumerGroup, ordering: spec.ordering },
    'source started',
  )

  return {
    spec,
    identity: options.identity,
    stats: () => ({ ...counters }),
    consumer: () => consumer,
    async stop() {
      untrackSource?.()
      await consumer.stop()
      if (ownsClient) await sinkClient.close()
    },
  }
}

class RevokedError extends Error {
  override readonly name = 'RevokedError'
}

/**
 * Record -> HTTP binary-mode request. A record that cannot be read as a CloudEvent is wrapped by the
 * codec as Knative does; one the codec cannot represent at all (e.g. a header that is not UTF-8) still
 * reaches the sink with its position as id, so it is never silently lost.
 */
export function toHttpRequest(record: LogRecord, knative: KnativeSourceRef): HttpEventRequest {
  const transcoded = kafkaRecordToHttpBinary(record as KafkaRecordIn, knative)
  const { headers, body } = transcoded.ok
    ? transcoded.value
    : httpCodec.encode(wrapUndecodableRecord(record as KafkaRecordIn, knative, transcoded.error), {
        mode: 'binary',
      })
  // Knative's dispatcher asks for the reply (it discards it for a source) and names the namespace.
  headers.prefer = 'reply'
  headers['kn-namespace'] = knative.namespace
  return { headers, body }
}

/** Counting semaphore for the `unordered` in-flight bound. */
class Semaphore {
  #available: number
  readonly #waiters: (() => void)[] = []

  constructor(permits: number) {
    this.#available = permits
  }

  acquire(): Promise<void> | undefined {
    if (this.#available > 0) {
      this.#available--
      return undefined
    }
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  release = (): void => {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#available++
  }

  releaseAndRethrow = (error: unknown): never => {
    this.release()
    throw error
  }
}
