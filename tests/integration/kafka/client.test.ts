import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createProducer,
  type Kafka,
  partitionForKey,
  type RecordProducer,
  withAdmin,
} from '../../../kafka/src/index.ts'
import {
  consumeRecords,
  createTempTopic,
  kafkaAvailable,
  type TempTopic,
  testKafka,
} from '../../support/kafka.ts'

// Needs: the Kafka broker of the integration global setup (or KAFKA_BROKERS).
const kafkaUp = await kafkaAvailable()

describe.skipIf(!kafkaUp)('kafka client against a real broker', () => {
  let kafka: Kafka
  let producer: RecordProducer
  const topics: TempTopic[] = []

  beforeAll(async () => {
    kafka = testKafka('taskflow-test-client')
    producer = createProducer(kafka)
    await producer.connect()
  })

  afterAll(async () => {
    await producer?.disconnect()
    for (const topic of topics) await topic.delete()
  })

  const tempTopic = async (partitions: number) => {
    const topic = await createTempTopic(kafka, { partitions })
    topics.push(topic)
    return topic.name
  }

  it('delivers key, value and headers unchanged', async () => {
    const topic = await tempTopic(1)
    const value = Buffer.from(JSON.stringify({ title: 'Écrire le rapport ✓' }))
    const headers = {
      ce_id: randomUUID(),
      ce_type: 'dev.taskflow.task.created',
      'content-type': 'application/json',
    }
    await producer.send(topic, [{ key: 'task-1', value, headers }])

    const [record] = await consumeRecords(kafka, topic, 1)
    expect(record).toMatchObject({ topic, partition: 0, offset: '0', key: 'task-1', headers })
    expect(record?.value?.equals(value)).toBe(true)
  })

  it('routes each key to the partition partitionForKey predicts and reports each record’s offset', async () => {
    const topic = await tempTopic(6)
    const keys = Array.from({ length: 30 }, (_, i) => `task-${i % 10}`)
    const positions = await producer.send(
      topic,
      keys.map((key, i) => ({ key, value: Buffer.from(String(i)), headers: { seq: String(i) } })),
    )

    expect(positions.map((p) => p.partition)).toEqual(keys.map((key) => partitionForKey(key, 6)))
    const consumed = await consumeRecords(kafka, topic, keys.length)
    for (const record of consumed) {
      const seq = Number(record.headers.seq)
      expect(record.partition).toBe(positions[seq]?.partition)
      expect(record.offset).toBe(positions[seq]?.offset)
      expect(record.key).toBe(keys[seq])
    }
  })

  it('spreads records without a key over the partitions and still reports their positions', async () => {
    const topic = await tempTopic(3)
    const positions = await producer.send(
      topic,
      Array.from({ length: 9 }, (_, i) => ({ key: null, value: Buffer.from(String(i)), headers: {} })),
    )
    const consumed = await consumeRecords(kafka, topic, 9)
    const where = new Set(consumed.map((r) => `${r.partition}:${r.offset}`))
    expect(new Set(positions.map((p) => `${p.partition}:${p.offset}`))).toEqual(where)
    expect(consumed.every((r) => r.key === null)).toBe(true)
  })

  it('resumes a consumer group after its last committed offset', async () => {
    const topic = await tempTopic(1)
    const groupId = `test-group-${randomUUID()}`
    const record = (n: number) => ({ key: 'k', value: Buffer.from(`record-${n}`), headers: {} })
    await producer.send(topic, [record(1), record(2), record(3)])

    const first = await consumeRecords(kafka, topic, 3, { groupId })
    expect(first.map((r) => r.value?.toString())).toEqual(['record-1', 'record-2', 'record-3'])

    await producer.send(topic, [record(4), record(5)])
    const resumed = await consumeRecords(kafka, topic, 2, { groupId })
    expect(resumed.map((r) => [r.offset, r.value?.toString()])).toEqual([
      ['3', 'record-4'],
      ['4', 'record-5'],
    ])

    const committed = await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }))
    expect(committed[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })])
  })

  it('rejects a send to a topic that does not exist (no auto-creation)', async () => {
    const lonely = createProducer(kafka, { retry: { retries: 1, maxRetryTime: 500 } })
    await lonely.connect()
    try {
      await expect(
        lonely.send(`missing-${randomUUID()}`, [{ key: null, value: Buffer.from('x'), headers: {} }]),
      ).rejects.toThrow(/producing to missing-/)
    } finally {
      await lonely.disconnect()
    }
  })
})
