import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, inject } from 'vitest'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../../db/src/index.ts'
import { serviceAvailable } from './services.ts'

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

let availability: Promise<boolean> | undefined

/** Whether the shared PostgreSQL answers: locally a missing server skips, under CI=true it fails. */
export function postgresAvailable(): Promise<boolean> {
  availability ??= serviceAvailable(`PostgreSQL at ${testDatabaseUrl}`, async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.query('select 1')
    } finally {
      await client.end().catch(() => {})
    }
  })
  return availability
}

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

/** A fresh database `taskflow_t_<random>` on the shared server; drop() removes only that one. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `taskflow_t_${randomBytes(6).toString('hex')}`
  await withAdmin((admin) => admin.query(`create database "${name}"`))
  const url = new URL(testDatabaseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      // WITH (FORCE) ends sessions a failed test left open, so the drop cannot hang.
      await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`))
    },
  }
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export type BackendName = 'pglite' | 'postgres'

declare module 'vitest' {
  interface ProvidedContext {
    /**
     * Which backends `describeEachDatabase` runs on, set per vitest project: `unit` runs the storage
     * suites on the in-process PGlite only (no service), `storage` runs the same files on PostgreSQL.
     */
    storageBackends: string
  }
}

function wantedBackends(): BackendName[] {
  const configured = inject('storageBackends') ?? 'pglite,postgres'
  return configured.split(',').filter((name): name is BackendName => name === 'pglite' || name === 'postgres')
}

export interface TestBackend {
  readonly name: BackendName
  /** Valid inside tests and hooks of the suite (set by its beforeAll). */
  readonly url: string
  /**
   * A query on a connection of the test's own, straight to the database (no proxy, no pool of the
   * code under test), to assert on rows; opened on first use, closed by the suite's afterAll.
   */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>
}

/**
 * Runs `suite` once per backend of the vitest project (see `storageBackends`): PGlite (memory://, served
 * by serveEmbeddedPostgres) and/or the real PostgreSQL (a fresh database per suite). PostgreSQL is left
 * out locally when it is unreachable (serviceAvailable prints why) and fails the run under CI=true.
 * Await it at the top of the test file.
 */
export async function describeEachDatabase(
  name: string,
  suite: (backend: TestBackend) => void,
): Promise<void> {
  const wanted = wantedBackends()
  const backends =
    wanted.includes('postgres') && !(await postgresAvailable())
      ? wanted.filter((backend) => backend !== 'postgres')
      : wanted
  for (const backendName of backends) {
    describe(`${name} [${backendName}]`, () => {
      let url: string | undefined
      let teardown: (() => Promise<void>) | undefined
      let admin: Promise<pg.Client> | undefined
      const backend: TestBackend = {
        name: backendName,
        get url() {
          if (url === undefined)
            throw new Error(`${backendName} backend is not started yet (use it inside tests)`)
          return url
        },
        async query(text, values) {
          admin ??= (async () => {
            const client = new pg.Client({ connectionString: backend.url })
            await client.connect()
            return client
          })()
          return (await admin).query(text, values)
        },
      }
      beforeAll(async () => {
        if (backendName === 'pglite') {
          const server: EmbeddedPostgres = await serveEmbeddedPostgres({ dataDir: 'memory://' })
          url = server.url
          teardown = () => server.close()
        } else {
          const database = await createTestDatabase()
          url = database.url
          teardown = () => database.drop()
        }
      })
      afterAll(async () => {
        // Registered before the suite's own hooks, so this runs after them (vitest runs after-hooks
        // as a stack): the code under test has let go of the database before it is dropped.
        await (await admin?.catch(() => undefined))?.end()
        admin = undefined
        await teardown?.()
      })
      suite(backend)
    })
  }
}
