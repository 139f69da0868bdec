import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  effectiveTopic,
  loadTopicManifests,
  reconcileTopics,
  type TopicSpec,
} from '../../../brokers/local/src/topics.ts'
import { describeTopics, type Kafka, withAdmin } from '../../../kafka/src/index.ts'
import { createTempTopic, kafkaAvailable, type TempTopic, testKafka } from '../../support/kafka.ts'

// Needs: the Kafka broker of the integration global setup (or KAFKA_BROKERS).
const kafkaUp = await kafkaAvailable()
const topicsDir = join(import.meta.dirname, '..', '..', '..', 'brokers', 'topics')

describe.skipIf(!kafkaUp)('topics reconciled from the Strimzi KafkaTopic manifests', () => {
  let kafka: Kafka
  let brokerCount: number
  const temp: TempTopic[] = []

  beforeAll(async () => {
    kafka = testKafka('taskflow-test-topics')
    brokerCount = await withAdmin(kafka, async (admin) => (await admin.describeCluster()).brokers.length)
  })

  afterAll(async () => {
    for (const topic of temp) await topic.delete()
  })

  it('exist on the broker with the declared partitions and config', async () => {
    const specs = await loadTopicManifests(topicsDir)
    const actual = await withAdmin(kafka, (admin) =>
      describeTopics(
        admin,
        specs.map((spec) => spec.name),
      ),
    )
    for (const spec of specs) {
      const expected = effectiveTopic(spec, brokerCount)
      expect(actual.get(spec.name)).toEqual({
        name: spec.name,
        partitions: spec.partitions,
        replicas: expected.replicas,
        config: expected.config,
      })
    }
  })

  it('a second reconcile finds nothing to do', async () => {
    const specs = await loadTopicManifests(topicsDir)
    const report = await withAdmin(kafka, (admin) => reconcileTopics(admin, specs, { brokerCount }))
    expect(report).toEqual({
      created: [],
      partitionsIncreased: [],
      drift: [],
      unchanged: specs.map((spec) => spec.name),
    })
  })

  it('reports partition and config drift without changing the topic', async () => {
    const topic = await createTempTopic(kafka, {
      partitions: 2,
      config: { 'retention.ms': '1000', 'cleanup.policy': 'delete' },
    })
    temp.push(topic)
    const declared: TopicSpec = {
      name: topic.name,
      partitions: 4,
      replicas: 1,
      config: { 'retention.ms': '604800000', 'cleanup.policy': 'delete', 'min.insync.replicas': '1' },
      source: 'test',
    }

    const report = await withAdmin(kafka, (admin) => reconcileTopics(admin, [declared], { brokerCount }))

    expect(report.created).toEqual([])
    expect(report.drift).toEqual(
      expect.arrayContaining([
        { topic: topic.name, kind: 'partitions-lower', expected: 4, actual: 2 },
        { topic: topic.name, kind: 'config', key: 'retention.ms', expected: '604800000', actual: '1000' },
        { topic: topic.name, kind: 'config', key: 'min.insync.replicas', expected: '1', actual: undefined },
      ]),
    )
    const after = await withAdmin(kafka, (admin) => describeTopics(admin, [topic.name]))
    expect(after.get(topic.name)).toMatchObject({ partitions: 2, config: { 'retention.ms': '1000' } })
  })

  it('reports more partitions than declared, since Kafka cannot remove them', async () => {
    const topic = await createTempTopic(kafka, { partitions: 3 })
    temp.push(topic)
    const declared: TopicSpec = { name: topic.name, partitions: 1, replicas: 1, config: {}, source: 'test' }
    const report = await withAdmin(kafka, (admin) => reconcileTopics(admin, [declared], { brokerCount }))
    expect(report.drift).toEqual([{ topic: topic.name, kind: 'partitions-higher', expected: 1, actual: 3 }])
  })

  it('adds partitions only when asked to', async () => {
    const topic = await createTempTopic(kafka, { partitions: 1 })
    temp.push(topic)
    const declared: TopicSpec = { name: topic.name, partitions: 3, replicas: 1, config: {}, source: 'test' }
    const report = await withAdmin(kafka, (admin) =>
      reconcileTopics(admin, [declared], { brokerCount, increasePartitions: true }),
    )
    expect(report).toMatchObject({ partitionsIncreased: [topic.name], drift: [] })
    const after = await withAdmin(kafka, (admin) => describeTopics(admin, [topic.name]))
    expect(after.get(topic.name)?.partitions).toBe(3)
  })
})
