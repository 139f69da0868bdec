import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { readLocalConfig } from '../../../local/src/config.ts'
import { type LocalSystem, type LocalSystemOverrides, startLocalSystem } from '../../../local/src/system.ts'
import { eventually as waitFor } from '../../support/eventually.ts'
import { kafkaAvailable, kafkaBrokers } from '../../support/kafka.ts'
import { createTestDatabase, postgresAvailable } from '../../support/postgres.ts'

// Starts the whole local system (`npm start`'s composition) for an end-to-end test: on the embedded
// defaults (PGlite + embedded event log) or on a real Kafka and PostgreSQL.

export interface SystemUnderTest {
  readonly system: LocalSystem
  readonly url: URL
  request(
    path: string,
    init?: { method?: string; user?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>
  stop(): Promise<void>
}

export async function startSystemUnderTest(
  backend: { kafkaBrokers?: string[]; databaseUrl?: string },
  overrides: LocalSystemOverrides,
): Promise<SystemUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'taskflow-e2e-'))
  const config = readLocalConfig({
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    PGLITE_DATA_DIR: join(dataDir, 'pglite'),
    COMMIT_INTERVAL_MS: '500',
    STATUS_INTERVAL_MS: '0',
    ...(backend.kafkaBrokers ? { KAFKA_BROKERS: backend.kafkaBrokers.join(',') } : {}),
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
  })
  const logger = pino({ level: config.logLevel })
  const system = await startLocalSystem(config, logger, overrides)
  return {
    system,
    url: system.url,
    request: (path, init = {}) =>
      fetch(new URL(path, system.url), {
        method: init.method ?? 'GET',
        headers: {
          ...(init.user ? { authorization: `Bearer dev.${init.user}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body: init.body === undefined ? null : JSON.stringify(init.body),
      }),
    async stop() {
      await system.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** The two event logs and databases every end-to-end suite runs on. */
export const backends = [
  { name: 'embedded defaults (PGlite, embedded event log)', real: false },
  { name: 'Kafka + PostgreSQL', real: true },
] as const
export type Backend = (typeof backends)[number]

/** Whether the real backend's services (the integration setup's broker, the shared PostgreSQL) are up. */
export const realServicesAvailable = async () => (await kafkaAvailable()) && (await postgresAvailable())

/** Starts the system on `backend`; on the real one with a database of its own, dropped by stop(). */
export async function startOnBackend(
  backend: Backend,
  overrides: LocalSystemOverrides,
): Promise<SystemUnderTest> {
  if (!backend.real) return startSystemUnderTest({}, overrides)
  const database = await createTestDatabase()
  const sut = await startSystemUnderTest(
    { kafkaBrokers: kafkaBrokers(), databaseUrl: database.url },
    overrides,
  )
  return {
    ...sut,
    async stop() {
      await sut.stop()
      await database.drop()
    },
  }
}

/** The whole system answers slower than one component: a minute, and errors while it settles retried. */
export function eventually<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 60_000) {
  return waitFor(probe, what, { timeoutMs, retryErrors: true })
}
