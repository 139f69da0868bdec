import { assertJava, ensureKafkaJars } from '../../../brokers/local/src/jars.ts'
import { postgresAvailable } from '../../support/postgres.ts'
import { serviceAvailable } from '../../support/services.ts'

let tools: Promise<boolean> | undefined

/**
 * Whether this machine can run Kafka brokers of a scenario's own (java 17+, and mvn or the jar cache):
 * the scenarios kill and cut their own brokers, never the shared one. Skips locally, fails under CI=true.
 */
export function kafkaToolsAvailable(): Promise<boolean> {
  tools ??= serviceAvailable('local Kafka (java, mvn)', async () => {
    await assertJava()
    await ensureKafkaJars()
  })
  return tools
}

/** What every scenario needs: brokers of its own and the shared PostgreSQL (for databases of its own). */
export async function scenarioServicesAvailable(): Promise<boolean> {
  return (await kafkaToolsAvailable()) && (await postgresAvailable())
}
