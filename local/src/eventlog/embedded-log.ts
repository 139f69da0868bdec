import type { Logger } from 'pino'
import { migrate } from '../../../db/src/index.ts'
// The partitioner module on its own, not kafka/'s index: it is kafkajs-free on purpose, and the
// embedded log must not load the Kafka client.
import { partitionForKey } from '../../../kafka/src/partitioner.ts'
import { notifyAppend } from './append-notifier.ts'
import { defaultHeartbeatIntervalMs, defaultSessionTimeoutMs } from './defaults.ts'
import { createEmbeddedConsumer } from './embedded-consumer.ts'
import {
  type AnyDatabase,
  appendRecords,
  ensureTopicRows,
  type PendingRecord,
  partitionEnds,
  topicPartitionCounts,
} from './embedded-store.ts'
import { assertPartitionCount, assertPositiveInteger, EventLogError, unknownTopic } from './errors.ts'
import type { AppendedPosition, EventLog, GroupConsumer, LogProducer, PartitionLag } from './types.ts'

export interface EmbeddedEventLogOptions {
  /** Any Kysely on PGlite or PostgreSQL; the log keeps its tables in the `eventlog` schema. */
  db: AnyDatabase
  logger: Logger
  /** How often consumers look for records appended by other processes (default 100 ms). */
  pollIntervalMs?: number
  /** Consumer-group lease (default 10 s, Knative's session.timeout.ms). */
  sessionTimeoutMs?: number
  /** How often members renew their lease and rebalance (default 3 s, Knative's heartbeat.interval.ms). */
  heartbeatIntervalMs?: number
}

export interface EmbeddedEventLog extends EventLog {
  readonly kind: 'embedded'
  /** Creates a topic (as from its KafkaTopic manifest) or adds partitions; never removes any. */
  ensureTopic(name: string, partitions: number): Promise<void>
}

export const eventLogMigrations = new URL('../../migrations/eventlog/', import.meta.url)

/** The event log in SQL, durable across restarts; applies its migrations before returning. */
export async function createEmbeddedEventLog(options: EmbeddedEventLogOptions): Promise<EmbeddedEventLog> {
  const { db, logger } = options
  const pollIntervalMs = options.pollIntervalMs ?? 100
  const sessionTimeoutMs = options.sessionTimeoutMs ?? defaultSessionTimeoutMs
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? defaultHeartbeatIntervalMs
  assertPositiveInteger('pollIntervalMs', pollIntervalMs)
  assertPositiveInteger('sessionTimeoutMs', sessionTimeoutMs)
  assertPositiveInteger('heartbeatIntervalMs', heartbeatIntervalMs)
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new EventLogError(
      'invalid-option',
      `heartbeatIntervalMs (${heartbeatIntervalMs}) must be below sessionTimeoutMs (${sessionTimeoutMs})`,
    )
  }
  await migrate(db, { schema: 'eventlog', folder: eventLogMigrations, logger })

  const timings = { sessionTimeoutMs, heartbeatIntervalMs, pollIntervalMs }
  const consumers = new Set<GroupConsumer>()
  const producers = new Set<LogProducer>()
  let closed = false
  const assertOpen = () => {
    if (closed) throw new EventLogError('closed', 'the event log is closed')
  }

  // A keyed record must land where Kafka's partitioner puts it for the topic's current count. Counts
  // change only when partitions are added (maybe by another process), so a second-old count is fresh
  // enough and spares a query per send.
  const partitionCache = new Map<string, { count: number; readAt: number }>()
  async function partitionCount(topic: string): Promise<number> {
    const cached = partitionCache.get(topic)
    if (cached && Date.now() - cached.readAt < 1_000) return cached.count
    const counts = await topicPartitionCounts(db, [topic])
    const count = counts.get(topic)
    if (count === undefined) throw unknownTopic(topic)
    partitionCache.set(topic, { count, readAt: Date.now() })
    return count
  }

  function producer(): Promise<LogProducer> {
    assertOpen()
    // kafkajs' default partitioner spreads keyless records round-robin; one counter per topic.
    const roundRobin = new Map<string, number>()
    const created: LogProducer = {
      async send(topic, records): Promise<AppendedPosition[]> {
        assertOpen()
        if (records.length === 0) return []
        const count = await partitionCount(topic)
        let next = roundRobin.get(topic) ?? 0
        const pending: PendingRecord[] = records.map((record) => {
          let partition: number
          if (record.key === null) {
            partition = next % count
            next++
          } else {
            partition = partitionForKey(record.key, count)
          }
          return {
            partition,
            key: record.key === null ? null : Buffer.from(record.key),
            value: record.value,
            headers: JSON.stringify(record.headers),
          }
        })
        roundRobin.set(topic, next % count)
        const offsets = await appendRecords(db, topic, pending, Date.now())
        notifyAppend(topic)
        return offsets.map((offset, i) => ({
          topic,
          partition: pending[i]!.partition,
          offset: String(offset),
        }))
      },
      async close() {
        producers.delete(created)
      },
    }
    producers.add(created)
    return Promise.resolve(created)
  }

  function consumer(options: Parameters<EventLog['consumer']>[0]): GroupConsumer {
    assertOpen()
    const created = createEmbeddedConsumer(db, options, timings, logger)
    consumers.add(created)
    return {
      run: (handlers) => created.run(handlers),
      assignment: () => created.assignment(),
      async stop() {
        consumers.delete(created)
        await created.stop()
      },
    }
  }

  return {
    kind: 'embedded',
    producer,
    consumer,
    partitionCount(topic) {
      assertOpen()
      return partitionCount(topic)
    },
    async ensureTopic(name, partitions) {
      assertOpen()
      assertPartitionCount(name, partitions)
      await ensureTopicRows(db, name, partitions)
      partitionCache.delete(name)
    },
    async lag(groupId, topics): Promise<PartitionLag[]> {
      assertOpen()
      const ends = await partitionEnds(db, groupId, topics)
      const found = new Set(ends.map((end) => end.topic))
      const missing = topics.find((topic) => !found.has(topic))
      if (missing !== undefined) throw unknownTopic(missing)
      return ends.map((end) => ({
        topic: end.topic,
        partition: end.partition,
        committed: end.committed === null ? null : String(end.committed),
        end: String(end.end),
        // Never committed: everything in the partition counts, as KEDA's Kafka scaler does.
        lag: Math.max(0, end.end - (end.committed ?? 0)),
      }))
    },
    async close() {
      if (closed) return
      closed = true
      // The database belongs to the caller: only our consumers stop (they commit and leave the group).
      await Promise.all([...consumers].map((consumer) => consumer.stop()))
      consumers.clear()
      producers.clear()
    },
  }
}
