// The whole local system (`npm start`'s composition) on a Kafka cluster and a PostgreSQL database of the
// scenario's own, so a scenario can kill the broker or cut the database without touching anything a
// other suite uses. Users that receive notifications have a webhook pointing at a recording receiver:
// what a user would see twice is counted where the user sees it.
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { type LocalKafka, startLocalKafka } from '../../../brokers/local/src/broker.ts'
import type { LocalSystemOverrides } from '../../../local/src/system.ts'
import { type SystemUnderTest, startSystemUnderTest } from '../../integration/e2e/local-system.ts'
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'

export interface FaultSystem {
  readonly kafka: LocalKafka
  readonly database: TestDatabase
  readonly sut: SystemUnderTest
  readonly webhooks: RecordingSink
  /** A pool on the scenario's database, for counting effects the way an operator would. */
  readonly sql: pg.Pool
  stop(): Promise<void>
}

export interface FaultSystemOptions {
  readonly kafkaNodes?: 1 | 3
  /** Users whose notifications also go to the recording webhook receiver. */
  readonly webhookUsers?: readonly string[]
  /** How the API (and the rest of the system) reaches the database, e.g. through a proxy a scenario cuts. */
  readonly databaseUrl?: (databaseUrl: string) => Promise<string>
  /** The functions' DATABASE_URL when it differs from the API's (a proxy that a scenario cuts). */
  readonly functionDatabaseUrl?: (databaseUrl: string) => Promise<string>
  readonly overrides?: LocalSystemOverrides
}

export async function startFaultSystem(options: FaultSystemOptions = {}): Promise<FaultSystem> {
  const cleanup: (() => Promise<unknown>)[] = []
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {})
  }
  try {
    const kafka = await startLocalKafka({ nodes: options.kafkaNodes ?? 1 })
    cleanup.push(() => kafka.stop())
    const database = await createTestDatabase()
    cleanup.push(() => database.drop())
    const webhooks = await startRecordingSink({ status: 200 })
    cleanup.push(() => webhooks.close())
    const functionDatabaseUrl = await options.functionDatabaseUrl?.(database.url)
    const systemDatabaseUrl = (await options.databaseUrl?.(database.url)) ?? database.url
    const sut = await startSystemUnderTest(
      { kafkaBrokers: kafka.brokers, databaseUrl: systemDatabaseUrl },
      {
        ...options.overrides,
        ...(functionDatabaseUrl ? { functionDatabaseUrl } : {}),
        functionEnv: {
          // The receiver listens on loopback, which the webhook guard refuses unless allowed.
          WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
          ...options.overrides?.functionEnv,
        },
      },
    )
    cleanup.push(() => sut.stop())
    const sql = new pg.Pool({ connectionString: database.url, max: 2 })
    cleanup.push(() => sql.end())

    for (const user of options.webhookUsers ?? []) {
      const response = await sut.request('/notifications/preferences', {
        method: 'PUT',
        user,
        body: { webhook: { url: webhooks.url, secret: `secret-of-${user}-0123456789` } },
      })
      if (response.status !== 200) {
        throw new Error(`preferences of ${user}: ${response.status} ${await response.text()}`)
      }
    }
    return { kafka, database, sut, webhooks, sql, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * A fault system started before the suite's tests and stopped after them; the returned function gives
 * it inside tests.
 */
export function useFaultSystem(options: FaultSystemOptions = {}): () => FaultSystem {
  let system: FaultSystem | undefined
  beforeAll(async () => {
    system = await startFaultSystem(options)
  }, 240_000)
  afterAll(async () => {
    await system?.stop()
  }, 120_000)
  return () => {
    if (system === undefined) throw new Error('the fault system is not started (use it inside tests)')
    return system
  }
}

/** Users the scenarios assign tasks to; each has a webhook at the recording receiver. */
export const assignees = Array.from({ length: 10 }, (_, i) => `assignee-${i}`)

/** The i-th task of a scenario: assigned (so notified) and with a reminder a day ahead (so scheduled). */
export function assignedTask(i: number): Record<string, unknown> {
  return {
    title: `task ${i}`,
    assignee: assignees[i % assignees.length],
    remindAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
  }
}
