// Measures what the embedded default costs against a real PostgreSQL, through the same pg + kysely
// path: round-trip latency of `select 1` and single-row inserts per second (sequential and with 4
// concurrent connections). Run: node db/bench/pglite-vs-postgres.ts [postgres-url]
import { performance } from 'node:perf_hooks'
import { type Generated, sql } from 'kysely'
import { openDatabase } from '../src/index.ts'

const postgresUrl = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test'

async function measure(label: string, options: { url?: string; pglite?: { dataDir: string } }) {
  const handle = await openDatabase<{ bench_rows: { id: Generated<number>; body: string } }>({
    ...options,
    applicationName: 'bench',
    poolMax: 4,
  })
  // A schema of its own: the shared server's `test` database belongs to everybody's tests.
  const schema = `bench_${process.pid}`
  await sql`create schema ${sql.id(schema)}`.execute(handle.db)
  const db = handle.db.withSchema(schema)
  await sql`create table ${sql.table(`${schema}.bench_rows`)} (id serial primary key, body text not null)`.execute(
    db,
  )
  for (let i = 0; i < 200; i++) await sql`select 1`.execute(db)

  const latencies: number[] = []
  for (let i = 0; i < 2000; i++) {
    const start = performance.now()
    await sql`select 1`.execute(db)
    latencies.push(performance.now() - start)
  }
  latencies.sort((a, b) => a - b)
  const p50 = latencies[Math.floor(latencies.length * 0.5)]!
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!

  const inserts = 2000
  let start = performance.now()
  for (let i = 0; i < inserts; i++)
    await db
      .insertInto('bench_rows')
      .values({ body: `row ${i}` })
      .execute()
  const sequential = inserts / ((performance.now() - start) / 1000)

  start = performance.now()
  await Promise.all(
    Array.from({ length: 4 }, async (_, worker) => {
      for (let i = 0; i < inserts / 4; i++) {
        await db
          .insertInto('bench_rows')
          .values({ body: `w${worker} ${i}` })
          .execute()
      }
    }),
  )
  const concurrent = inserts / ((performance.now() - start) / 1000)

  await sql`drop schema ${sql.id(schema)} cascade`.execute(db)
  await handle.close()
  console.info(
    `${label.padEnd(28)} select 1 p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms | inserts/s sequential ${sequential.toFixed(0)}, 4 connections ${concurrent.toFixed(0)}`,
  )
}

await measure('pglite-socket (memory://)', { pglite: { dataDir: 'memory://' } })
const { mkdtemp, rm } = await import('node:fs/promises')
const dataDir = await mkdtemp('/tmp/pglite-bench-')
await measure('pglite-socket (dataDir)', { pglite: { dataDir } })
await rm(dataDir, { recursive: true, force: true })
await measure('PostgreSQL (direct)', { url: postgresUrl })
