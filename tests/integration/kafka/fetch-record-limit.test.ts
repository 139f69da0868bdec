import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsumer, createProducer, type Kafka } from '../../../kafka/src/index.ts'
import { createTempTopic, kafkaAvailable, type TempTopic, testKafka } from '../../support/kafka.ts'

// Issue 18: kafkajs sizes fetches in compressed bytes and decodes a response whole. A consumer asking
// for about N records per partition gets batches of about N from a gzipped backlog; without it, one
// fetch decodes thousands.

const kafkaUp = await kafkaAvailable()
const records = 20_000

describe.skipIf(!kafkaUp)('records a fetch decodes per partition, on a gzipped backlog', () => {
  let kafka: Kafka
  let topic: TempTopic

  beforeAll(async () => {
    kafka = testKafka('taskflow-test-fetch-limit')
    topic = await createTempTopic(kafka, { partitions: 1 })
    const producer = createProducer(kafka, { compression: 'gzip' })
    await producer.connect()
    try {
      for (let start = 0; start < records; start += 200) {
        const batch = Array.from({ length: 200 }, (_, i) => ({
          key: `task-${(start + i) % 100}`,
          value: Buffer.from(
            JSON.stringify({ type: 'task.updated', seq: start + i, title: 'a task', status: 'open' }),
          ),
          headers: { ce_specversion: '1.0', ce_id: randomUUID(), ce_type: 'dev.taskflow.task.updated' },
        }))
        await producer.send(topic.name, batch)
      }
    } finally {
      await producer.disconnect()
    }
  })
  afterAll(async () => {
    await topic?.delete()
  })

  /** The size of every batch a consumer is handed while it reads the whole topic. */
  async function batchSizes(maxRecordsPerPartition: number | undefined): Promise<number[]> {
    const consumer = createConsumer(kafka, {
      groupId: `test-${randomUUID()}`,
      maxBytesPerPartition: 1024 * 1024,
      ...(maxRecordsPerPartition === undefined ? {} : { maxRecordsPerPartition }),
    })
    const sizes: number[] = []
    let read = 0
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic.name], fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${read} of ${records}`)), 60_000)
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              sizes.push(batch.messages.length)
              read += batch.messages.length
              if (read >= records) {
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
    return sizes
  }

  it('about 500 per batch when asked, where 1 MiB of gzip decodes thousands', async () => {
    const unlimited = await batchSizes(undefined)
    expect(Math.max(...unlimited)).toBeGreaterThan(5_000)
    const limited = await batchSizes(500)
    // The first fetch starts at the 8 KiB floor; every later one follows the records it decoded.
    expect(Math.max(...limited)).toBeLessThanOrEqual(1_000)
    expect(limited.reduce((sum, size) => sum + size, 0)).toBe(records)
    // Raised back from the floor while the partition had more to read: not stuck at tiny fetches.
    expect(limited.length).toBeLessThan(records / 100)
  })
})
