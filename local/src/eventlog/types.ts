// The event log the local system runs on: a real Kafka (KAFKA_BROKERS set) or an embedded log in
// PGlite/PostgreSQL with the semantics the functions rely on. Both implement this interface, so the
// KafkaSource dispatcher, the KafkaSink endpoints and the API's outbox relay run unchanged on either.
//
// The consumer side deliberately has kafkajs' `eachBatch` shape: a batch handler per partition that
// resolves offsets as records finish; the log commits resolved offsets every `commitIntervalMs`, when a
// partition is revoked (after its running batch returns) and on stop — Knative's dispatcher commit policy.

/** A record as the log hands it over (kafkajs' shape; header values may be Buffers). */
export interface LogRecord {
  readonly topic: string
  readonly partition: number
  /** Kafka offsets are int64: kept as decimal strings end to end. */
  readonly offset: string
  /** Record timestamp, milliseconds since the epoch as a decimal string. */
  readonly timestamp: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

/** One record to append. A key pins it to a partition (Kafka's murmur2 default partitioner). */
export interface AppendRecord {
  readonly key: string | null
  readonly value: Buffer
  readonly headers: Record<string, string>
}

export interface AppendedPosition {
  readonly topic: string
  readonly partition: number
  readonly offset: string
}

export interface LogProducer {
  /** Appends in order; resolves once the log acknowledged every record (acks=all on Kafka). */
  send(topic: string, records: readonly AppendRecord[]): Promise<AppendedPosition[]>
  close(): Promise<void>
}

export interface PartitionBatch {
  readonly topic: string
  readonly partition: number
  readonly records: readonly LogRecord[]
}

export interface BatchContext {
  /** Marks every record up to and including `offset` as finished: the next commit will be offset + 1. */
  resolveOffset(offset: string): void
  /** Keeps group membership alive during a long batch (retries with backoff can take minutes). */
  heartbeat(): Promise<void>
  /** False once the consumer is stopping or the partition was revoked: the handler should return soon. */
  isActive(): boolean
  /** Aborted together with `isActive()` turning false, to cut backoff sleeps and requests short. */
  readonly signal: AbortSignal
}

export interface GroupConsumerOptions {
  readonly groupId: string
  readonly topics: readonly string[]
  /** Only used when the group has no committed offset for a partition (KafkaSource `initialOffset`). */
  readonly initialOffset: 'earliest' | 'latest'
  /** Knative's dispatcher commits every 5 s. */
  readonly commitIntervalMs?: number
  /** Upper bound of records per batch. */
  readonly maxBatchRecords?: number
  /** Kafka backend: how long a batch may hold up the fetch of the other partitions (defaults.ts). */
  readonly detachAfterMs?: number
}

export interface GroupConsumerRun {
  /** How many partitions' batches run at the same time (one batch per partition at a time, always). */
  readonly partitionsConsumedConcurrently: number
  eachBatch(batch: PartitionBatch, context: BatchContext): Promise<void>
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface GroupConsumer {
  /** Joins the group and starts fetching; resolves once running (not when stopped). */
  run(handlers: GroupConsumerRun): Promise<void>
  /** Partitions currently assigned to this member. */
  assignment(): readonly TopicPartition[]
  /** Leaves the group after running batches return, committing resolved offsets. */
  stop(): Promise<void>
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Next offset the group will read (committed), or null when it never committed. */
  readonly committed: string | null
  /** Offset the next appended record will get (the high watermark). */
  readonly end: string
  readonly lag: number
}

export interface EventLog {
  readonly kind: 'kafka' | 'embedded'
  producer(): Promise<LogProducer>
  consumer(options: GroupConsumerOptions): GroupConsumer
  partitionCount(topic: string): Promise<number>
  lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>
  close(): Promise<void>
}
