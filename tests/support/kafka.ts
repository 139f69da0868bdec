import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import {
  type ConsumedRecord,
  createConsumer,
  createKafkaClient,
  createTopics,
  type Kafka,
  toConsumedRecord,
  withAdmin,
} from '../../kafka/src/index.ts'
import { serviceAvailable } from './services.ts'

/** The bootstrap servers the integration global setup provides (empty when Kafka is unavailable). */
export function kafkaBrokers(): string[] {
  const brokers = inject('kafkaBrokers')
  return brokers ? brokers.split(',') : []
}

/** Gate for suites that need Kafka: skips locally with the reason, fails under CI=true. */
export function kafkaAvailable(): Promise<boolean> {
  return serviceAvailable('Kafka', async () => {
    const brokers = kafkaBrokers()
    if (brokers.length === 0) throw new Error(inject('kafkaUnavailable') || 'no broker was provided')
    await withAdmin(testKafka('taskflow-test-probe'), (admin) => admin.describeCluster())
  })
}

export function testKafka(clientId = 'taskflow-test', brokers: string[] = kafkaBrokers()): Kafka {
  return createKafkaClient({ brokers, clientId })
}

export type TempTopic = { name: string; delete(): Promise<void> }

/** A topic of its own for one test, so tests never see each other's records. */
export async function createTempTopic(
  kafka: Kafka,
  options: { partitions?: number; replicas?: number; config?: Record<string, string> } = {},
): Promise<TempTopic> {
  const name = `test-${randomUUID()}`
  await withAdmin(kafka, (admin) =>
    createTopics(admin, [
      {
        name,
        partitions: options.partitions ?? 1,
        // -1: the broker's default.replication.factor (1 or 3 depending on the cluster).
        replicas: options.replicas ?? -1,
        config: options.config ?? {},
      },
    ]),
  )
  return {
    name,
    delete: () => withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [name] })),
  }
}

/**
 * Reads `count` records of `topic` (from the start for a new group) with a fresh consumer group or
 * `groupId`, commits exactly those, then leaves the group. Rejects after `timeoutMs` with what it had so far, so a missing record fails the
 * test with a message instead of hanging it.
 */
export async function consumeRecords(
  kafka: Kafka,
  topic: string,
  count: number,
  options: { groupId?: string; timeoutMs?: number; fromBeginning?: boolean } = {},
): Promise<ConsumedRecord[]> {
  const consumer = createConsumer(kafka, { groupId: options.groupId ?? `test-${randomUUID()}` })
  const records: ConsumedRecord[] = []
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumed ${records.length} of ${count} records from ${topic}`)),
        options.timeoutMs ?? 30_000,
      )
      consumer
        .run({
          // Resolves offsets only for the records taken, so a group that reads `count` records
          // commits exactly those and a later consumer of the group resumes right after them.
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            for (const message of batch.messages) {
              if (records.length >= count) break
              records.push(toConsumedRecord(batch.topic, batch.partition, message))
              resolveOffset(message.offset)
            }
            await heartbeat()
            if (records.length >= count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return records
}

/**
 * Every record `topic` holds now (from each partition's start to its high watermark), read with a fresh
 * group: for counting what a quiet topic holds, duplicates included.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic))
  const total = offsets.reduce(
    (sum, partition) => sum + Number(BigInt(partition.high) - BigInt(partition.low)),
    0,
  )
  return total === 0 ? [] : consumeRecords(kafka, topic, total, { timeoutMs })
}
