import type { Logger } from 'pino'
import {
  type Admin,
  createConsumer,
  createKafkaClient,
  createProducer,
  createTopics,
  describeTopics,
  increasePartitions,
} from '../../../kafka/src/index.ts'
import { coalescingSend } from './coalescing-send.ts'
import {
  defaultHeartbeatIntervalMs,
  defaultMaxBytesPerPartition,
  defaultMaxRecordsPerPartition,
  defaultSessionTimeoutMs,
} from './defaults.ts'
import { assertPartitionCount, EventLogError, unknownTopic } from './errors.ts'
import { createKafkaGroupConsumer } from './kafka-consumer.ts'
import type { EventLog, GroupConsumer, LogProducer, PartitionLag } from './types.ts'

export interface KafkaEventLogOptions {
  brokers: string[]
  clientId: string
  logger: Logger
  /** Group session timeout (default 10 s, Knative's session.timeout.ms; brokers accept 6 s and up). */
  sessionTimeoutMs?: number
  /** Default 3 s, Knative's heartbeat.interval.ms. */
  heartbeatIntervalMs?: number
}

export interface KafkaEventLog extends EventLog {
  readonly kind: 'kafka'
  /** The bootstrap servers it reads and writes (what a tool needs to read the same topics). */
  readonly brokers: readonly string[]
  /**
   * Creates a topic with `replicas` (default 1, a local single broker) or adds partitions; never
   * removes any. On a cluster Strimzi's topic operator does this from the KafkaTopic manifests.
   */
  ensureTopic(name: string, partitions: number, replicas?: number): Promise<void>
}

/** The event log on a real Kafka, through kafka/ (the project's only kafkajs door). */
export function createKafkaEventLog(options: KafkaEventLogOptions): KafkaEventLog {
  const { logger } = options
  const kafka = createKafkaClient({ brokers: options.brokers, clientId: options.clientId, logger })
  const sessionTimeoutMs = options.sessionTimeoutMs ?? defaultSessionTimeoutMs
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? defaultHeartbeatIntervalMs
  const producers = new Set<LogProducer>()
  const consumers = new Set<GroupConsumer>()
  let closed = false
  const assertOpen = () => {
    if (closed) throw new EventLogError('closed', 'the event log is closed')
  }

  // One admin connection for the log's lifetime, opened on first use.
  let admin: Promise<Admin> | undefined
  const connectedAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const created = kafka.admin()
      await created.connect()
      return created
    })().catch((error) => {
      admin = undefined
      throw error
    })
    return admin
  }

  async function partitionCount(topic: string): Promise<number> {
    assertOpen()
    const states = await describeTopics(await connectedAdmin(), [topic])
    const state = states.get(topic)
    if (!state) throw unknownTopic(topic)
    return state.partitions
  }

  return {
    kind: 'kafka',
    brokers: [...options.brokers],
    async producer() {
      assertOpen()
      const producer = createProducer(kafka)
      await producer.connect()
      const created: LogProducer = {
        send: coalescingSend((topic, records) => producer.send(topic, records)),
        async close() {
          producers.delete(created)
          await producer.disconnect()
        },
      }
      producers.add(created)
      return created
    },
    consumer(consumerOptions) {
      assertOpen()
      const raw = createConsumer(kafka, {
        groupId: consumerOptions.groupId,
        sessionTimeoutMs,
        heartbeatIntervalMs,
        maxBytesPerPartition: defaultMaxBytesPerPartition,
        maxRecordsPerPartition: defaultMaxRecordsPerPartition,
      })
      const created = createKafkaGroupConsumer(raw, consumerOptions, connectedAdmin, logger)
      consumers.add(created)
      return {
        run: (handlers) => created.run(handlers),
        assignment: () => created.assignment(),
        async stop() {
          consumers.delete(created)
          await created.stop()
        },
      }
    },
    partitionCount,
    async ensureTopic(name, partitions, replicas = 1) {
      assertOpen()
      assertPartitionCount(name, partitions)
      const client = await connectedAdmin()
      const existing = (await describeTopics(client, [name])).get(name)
      if (!existing) {
        await createTopics(client, [{ name, partitions, replicas, config: {} }])
        return
      }
      if (partitions < existing.partitions) {
        throw new EventLogError(
          'partitions-decrease',
          `topic "${name}" has ${existing.partitions} partitions; Kafka cannot reduce them to ${partitions}`,
        )
      }
      if (partitions > existing.partitions) await increasePartitions(client, name, partitions)
    },
    async lag(groupId, topics): Promise<PartitionLag[]> {
      assertOpen()
      const client = await connectedAdmin()
      const known = await describeTopics(client, topics)
      const missing = topics.find((topic) => !known.has(topic))
      if (missing !== undefined) throw unknownTopic(missing)
      const [committedByTopic, ...ends] = await Promise.all([
        client.fetchOffsets({ groupId, topics: [...topics] }),
        ...topics.map((topic) => client.fetchTopicOffsets(topic)),
      ])
      const lags: PartitionLag[] = []
      topics.forEach((topic, index) => {
        const committed = new Map(
          committedByTopic
            .find((entry) => entry.topic === topic)
            ?.partitions.map((entry) => [entry.partition, entry.offset]) ?? [],
        )
        for (const end of [...ends[index]!].sort((a, b) => a.partition - b.partition)) {
          const offset = committed.get(end.partition)
          // Kafka answers -1 for a partition the group never committed.
          const known = offset === undefined || offset === '-1' ? null : offset
          lags.push({
            topic,
            partition: end.partition,
            committed: known,
            end: end.high,
            lag: Math.max(0, Number(end.high) - Number(known ?? end.low)),
          })
        }
      })
      return lags
    },
    async close() {
      if (closed) return
      closed = true
      await Promise.all([...consumers].map((consumer) => consumer.stop()))
      await Promise.all([...producers].map((producer) => producer.close()))
      const connected = admin
      admin = undefined
      if (connected) await (await connected.catch(() => undefined))?.disconnect()
    },
  }
}
