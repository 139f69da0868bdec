// The services a bench run uses: one Kafka broker for the whole run (the local KRaft broker from the
// repository's jars, or KAFKA_BROKERS) and databases of its own on the machine's PostgreSQL.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Logger } from 'pino'
import { startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { createKafkaClient, createTopics, withAdmin } from '../../../kafka/src/index.ts'
import type { CleanupStack } from './cleanup.ts'

export interface BenchServiceOptions {
  /** Comma-separated bootstrap servers of a running broker; absent: a local broker is started. */
  readonly kafkaBrokers: string | undefined
  /** The PostgreSQL server, as a URL to its `postgres` database (bench databases are created beside it). */
  readonly postgresUrl: string
  readonly logger: Logger
  readonly cleanup: CleanupStack
}

export interface BenchDatabase {
  readonly name: string
  readonly url: string
}

export class BenchServiceError extends Error {
  override readonly name = 'BenchServiceError'
}

export interface BenchServices {
  kafkaBrokers(): Promise<string[]>
  /** Creates a database; its drop goes on `cleanup` (the benchmark's own stack). */
  database(label: string, cleanup: CleanupStack): Promise<BenchDatabase>
}

export function createBenchServices(options: BenchServiceOptions): BenchServices {
  const { logger, cleanup } = options
  let brokers: Promise<string[]> | undefined

  async function startBroker(): Promise<string[]> {
    if (options.kafkaBrokers) {
      const given = options.kafkaBrokers
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean)
      logger.info({ brokers: given }, 'using KAFKA_BROKERS')
      return given
    }
    logger.info('starting the local Kafka broker (brokers/local)')
    // A bigger heap than the tests' default: the baselines push 200k records through it.
    const kafka = await startLocalKafka({ nodes: 1, heapMb: 768, logger })
    cleanup.push('local Kafka', () => kafka.stop())
    return kafka.brokers
  }

  return {
    kafkaBrokers() {
      brokers ??= startBroker()
      return brokers
    },
    async database(label, databaseCleanup) {
      const name = `taskflow_bench_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`
      const admin = new URL(options.postgresUrl)
      await withPostgres(admin.toString(), (client) => client.query(`create database "${name}"`)).catch(
        (error: unknown) => {
          throw new BenchServiceError(
            `cannot create database ${name} on ${admin.host}: ${error instanceof Error ? error.message : String(error)}`,
          )
        },
      )
      // Only the database this run created is dropped; FORCE ends sessions a failed benchmark left open.
      databaseCleanup.push(`database ${name}`, async () => {
        await withPostgres(admin.toString(), (client) =>
          client.query(`drop database if exists "${name}" with (force)`),
        )
      })
      const url = new URL(options.postgresUrl)
      url.pathname = `/${name}`
      return { name, url: url.toString() }
    },
  }
}

async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** A topic of the bench's own (`bench-<label>-<random>`), deleted at the end of the run (benchmarks may share it). */
export async function createBenchTopic(
  brokers: string[],
  label: string,
  partitions: number,
  cleanup: { afterRun(run: () => Promise<void>): void },
  config: Record<string, string> = {},
): Promise<string> {
  const name = `bench-${label}-${randomBytes(4).toString('hex')}`
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-bench-admin' })
  await withAdmin(kafka, (admin) => createTopics(admin, [{ name, partitions, replicas: 1, config }]))
  cleanup.afterRun(() => withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [name] })))
  return name
}
