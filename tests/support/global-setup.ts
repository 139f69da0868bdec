import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { type LocalKafka, startLocalKafka } from '../../brokers/local/src/broker.ts'
import { LocalKafkaError } from '../../brokers/local/src/errors.ts'
import { describeDrift, loadTopicManifests, reconcileTopics } from '../../brokers/local/src/topics.ts'
import { createKafkaClient, withAdmin } from '../../kafka/src/index.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers; empty when no broker could be had (see kafkaUnavailable). */
    kafkaBrokers: string
    /** Why there is no broker (java or mvn missing, locally only); empty when there is one. */
    kafkaUnavailable: string
  }
}

const topicsDir = join(import.meta.dirname, '..', '..', 'brokers', 'topics')

// Tools whose absence is a property of the machine, not a bug: a local run skips Kafka suites,
// CI (where they are installed by .ci/run) fails, as tests/support/services.ts does for any service.
const missingTool = (error: unknown) =>
  error instanceof LocalKafkaError && (error.code === 'java-missing' || error.code === 'mvn-missing')

/**
 * The `integration` project's broker: KAFKA_BROKERS when set (any Kafka 4 broker), otherwise a
 * 1-node local KRaft broker started from its jars, with the topics of brokers/topics created.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KAFKA_BROKERS?.trim()
  let local: LocalKafka | undefined
  let brokers: string[]
  if (external) {
    brokers = external.split(',').map((broker) => broker.trim())
  } else {
    try {
      local = await startLocalKafka({ nodes: 1 })
    } catch (error) {
      if (!missingTool(error) || process.env.CI === 'true') throw error
      const reason = (error as Error).message
      console.warn(`[skip] local Kafka unavailable: ${reason}`)
      project.provide('kafkaBrokers', '')
      project.provide('kafkaUnavailable', reason)
      return async () => {}
    }
    brokers = local.brokers
  }

  try {
    const kafka = createKafkaClient({ brokers, clientId: 'taskflow-test-setup' })
    const report = await withAdmin(kafka, async (admin) => {
      const brokerCount = (await admin.describeCluster()).brokers.length
      return reconcileTopics(admin, await loadTopicManifests(topicsDir), { brokerCount })
    })
    for (const drift of report.drift) console.warn(`[kafka] topic drift: ${describeDrift(drift)}`)
  } catch (error) {
    await local?.stop()
    throw error
  }

  project.provide('kafkaBrokers', brokers.join(','))
  project.provide('kafkaUnavailable', '')
  return async () => {
    await local?.stop()
  }
}
