import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type DatabaseHandle,
  DatabaseUnreachableError,
  isTransientDatabaseError,
  openDatabase,
} from '../../../db/src/index.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Needs: PostgreSQL at TEST_DATABASE_URL (PGlite runs in-process).

interface Jobs {
  jobs: { id: number; claimed_by: string | null }
}

await describeEachDatabase('database handle', (backend) => {
  let handle: DatabaseHandle<Jobs>

  beforeAll(async () => {
    handle = await openDatabase<Jobs>({ url: backend.url, applicationName: 'db-test', poolMax: 4 })
    await sql`create table jobs (id int primary key, claimed_by text)`.execute(handle.db)
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('reports the URL it connected to and that it is not embedded', async () => {
    expect(handle.url).toBe(backend.url)
    expect(handle.embedded).toBe(false)
    await expect(handle.ping()).resolves.toBeUndefined()
  })

  it('prepared statements: named on PostgreSQL (parsed once per connection), unnamed on PGlite', async () => {
    const insert = handle.prepared('db_test_insert_job', 'insert into jobs (id, claimed_by) values ($1, $2)')
    // Every connection of the pool at once: on PGlite they share one session, where a name one of
    // them prepared would collide with the next one's Parse ("prepared statement already exists").
    await Promise.all(Array.from({ length: 8 }, (_, i) => insert([500 + i, 'prepared'])))
    await Promise.all(Array.from({ length: 8 }, (_, i) => insert([600 + i, 'prepared'])))
    const stored = await handle.db
      .selectFrom('jobs')
      .select('id')
      .where('claimed_by', '=', 'prepared')
      .execute()
    expect(stored).toHaveLength(16)
    const { rows } = await handle.pool.query<{ name: string }>(
      "select name from pg_prepared_statements where name = 'db_test_insert_job'",
    )
    // On PostgreSQL the connection answering this has prepared it too (each did, on its first run).
    expect(rows.length).toBe(backend.name === 'postgres' ? 1 : 0)
    await handle.db.deleteFrom('jobs').where('claimed_by', '=', 'prepared').execute()
  })

  it('prepared statements: unnamed when preparedStatements is off (a pooler that cannot keep them)', async () => {
    const plain = await openDatabase<Jobs>({
      url: backend.url,
      applicationName: 'db-test-plain',
      poolMax: 1,
      preparedStatements: false,
    })
    try {
      await plain.prepared(
        'db_test_plain_job',
        'insert into jobs (id, claimed_by) values ($1, $2)',
      )([700, 'plain'])
      const { rows } = await plain.pool.query(
        "select name from pg_prepared_statements where name = 'db_test_plain_job'",
      )
      expect(rows).toEqual([])
      await plain.db.deleteFrom('jobs').where('id', '=', 700).execute()
    } finally {
      await plain.close()
    }
  })

  it('a transaction commits its writes', async () => {
    await handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('jobs').values({ id: 1, claimed_by: null }).execute()
    })
    expect(await handle.db.selectFrom('jobs').select('id').where('id', '=', 1).execute()).toEqual([{ id: 1 }])
  })

  it('a transaction that throws leaves nothing behind', async () => {
    const failure = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('jobs').values({ id: 2, claimed_by: null }).execute()
      throw new Error('abort')
    })
    await expect(failure).rejects.toThrow('abort')
    expect(await handle.db.selectFrom('jobs').select('id').where('id', '=', 2).execute()).toEqual([])
  })

  it('FOR UPDATE SKIP LOCKED hands two workers on two connections disjoint rows', async () => {
    await handle.db.deleteFrom('jobs').execute()
    await handle.db
      .insertInto('jobs')
      .values(Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, claimed_by: null })))
      .execute()

    async function claimAll(worker: string): Promise<number[]> {
      const claimed: number[] = []
      for (;;) {
        const batch = await handle.db.transaction().execute(async (trx) => {
          const rows = await trx
            .selectFrom('jobs')
            .select('id')
            .where('claimed_by', 'is', null)
            .orderBy('id')
            .limit(3)
            .forUpdate()
            .skipLocked()
            .execute()
          const ids = rows.map((row) => row.id)
          if (ids.length > 0)
            await trx.updateTable('jobs').set({ claimed_by: worker }).where('id', 'in', ids).execute()
          return ids
        })
        if (batch.length === 0) return claimed
        claimed.push(...batch)
      }
    }

    const [a, b] = await Promise.all([claimAll('a'), claimAll('b')])
    expect(a.filter((id) => b.includes(id))).toEqual([])
    expect([...a, ...b].sort()).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i))
  })

  it('large parameters from concurrent connections each reach their own statement', async () => {
    // Regression for pglite-socket interleaving extended-protocol batches split over TCP chunks.
    const big = 'x'.repeat(200_000)
    const results = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const { rows } =
          i % 2 === 0
            ? await handle.pool.query('select $1::int as v, length($2::text) as l', [i, big])
            : await handle.pool.query('select $1::text as v, $2::int as w', [String(i), i])
        return Number(rows[0].v)
      }),
    )
    expect(results).toEqual(Array.from({ length: 24 }, (_, i) => i))
  })
})

it('a database that cannot be reached fails to open with a transient error naming the URL without password', async () => {
  const failure = await openDatabase({
    url: 'postgres://app:s3cret@127.0.0.1:1/nowhere',
    applicationName: 'db-test',
  }).catch((error: unknown) => error)
  expect(failure).toBeInstanceOf(DatabaseUnreachableError)
  expect((failure as Error).message).toContain('postgres://app:***@127.0.0.1:1/nowhere')
  expect((failure as Error).message).not.toContain('s3cret')
  expect(isTransientDatabaseError(failure)).toBe(true)
})
