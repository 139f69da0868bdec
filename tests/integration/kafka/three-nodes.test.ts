import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type LocalKafka, startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { assertJava, ensureKafkaJars } from '../../../brokers/local/src/jars.ts'
import {
  createProducer,
  createTopics,
  describeTopics,
  type Kafka,
  withAdmin,
} from '../../../kafka/src/index.ts'
import { isAlive } from '../../../local/src/process-alive.ts'
import { consumeRecords, testKafka } from '../../support/kafka.ts'
import { serviceAvailable } from '../../support/services.ts'

// Needs: java 17+ and mvn (or the jar cache); starts its own three-node cluster, apart from the
// broker of the global setup, because it stops and restarts nodes.
const toolsUp = await serviceAvailable('local Kafka (java, mvn)', async () => {
  await assertJava()
  await ensureKafkaJars()
})

const waitUntil = async (what: string, condition: () => Promise<boolean>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`gave up waiting for ${what}`)
}

describe.skipIf(!toolsUp)('three-node local cluster (Strimzi production replication)', () => {
  let cluster: LocalKafka
  let kafka: Kafka
  const pids: number[] = []

  beforeAll(async () => {
    cluster = await startLocalKafka({ nodes: 3 })
    pids.push(...cluster.nodes.map((node) => node.pid!))
    kafka = testKafka('taskflow-test-three-nodes', cluster.brokers)
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 60_000)

  it('keeps accepting acks=all writes with one node down, and takes the node back', async () => {
    const topic = 'replicated-events'
    await withAdmin(kafka, (admin) =>
      createTopics(admin, [
        { name: topic, partitions: 3, replicas: 3, config: { 'min.insync.replicas': '2' } },
      ]),
    )
    // A new topic reaches each node's metadata a moment apart: the node asked may not list it yet.
    const created = await vi.waitFor(
      async () => {
        const described = await withAdmin(kafka, (admin) => describeTopics(admin, [topic]))
        if (!described.has(topic)) throw new Error(`${topic} not listed yet`)
        return described
      },
      { timeout: 10_000, interval: 200 },
    )
    expect(created.get(topic)).toMatchObject({
      partitions: 3,
      replicas: 3,
      config: { 'min.insync.replicas': '2' },
    })

    const producer = createProducer(kafka)
    await producer.connect()
    try {
      const batch = (from: number) =>
        Array.from({ length: 6 }, (_, i) => ({
          key: `task-${i}`,
          value: Buffer.from(`event-${from + i}`),
          headers: {},
        }))
      await producer.send(topic, batch(0))

      await cluster.stopNode(2)
      expect(cluster.nodes[2]?.pid).toBeUndefined()
      // Two in-sync replicas remain: min.insync.replicas=2 is still met, so acks=all succeeds.
      const whileDown = await producer.send(topic, batch(6))
      expect(whileDown).toHaveLength(6)

      await cluster.startNode(2)
      await waitUntil('node 3 back in every ISR', async () => {
        const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] }))
        return metadata.topics[0]!.partitions.every((partition) => partition.isr.includes(3))
      })
      await producer.send(topic, batch(12))
    } finally {
      await producer.disconnect()
    }

    const consumed = await consumeRecords(kafka, topic, 18)
    expect(new Set(consumed.map((record) => record.value?.toString()))).toEqual(
      new Set(Array.from({ length: 18 }, (_, i) => `event-${i}`)),
    )
  })

  it('leaves no JVM behind once stopped', async () => {
    const restarted = cluster.nodes[2]!.pid
    await cluster.stop()
    for (const pid of [...pids, restarted]) if (pid !== undefined) expect(isAlive(pid)).toBe(false)
  }, 60_000)
})
