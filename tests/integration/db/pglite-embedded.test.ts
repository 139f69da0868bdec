import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type EmbeddedPostgres,
  InvalidDatabaseOptionsError,
  openDatabase,
  serveEmbeddedPostgres,
} from '../../../db/src/index.ts'

// Needs: nothing but PGlite (embedded).

describe('embedded PGlite', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pglite-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('without a url, openDatabase serves PGlite itself and reports it as embedded', async () => {
    const handle = await openDatabase({ pglite: { dataDir: 'memory://' }, applicationName: 'embedded-test' })
    try {
      expect(handle.embedded).toBe(true)
      expect(handle.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
      const { rows } = await sql<{ version: string }>`select version()`.execute(handle.db)
      expect(rows[0]?.version).toMatch(/^PostgreSQL/)
    } finally {
      await handle.close()
    }
  })

  it('data persists across close and reopen of the same dataDir', async () => {
    const first = await openDatabase({ pglite: { dataDir }, applicationName: 'embedded-test' })
    await sql`create table notes (body text)`.execute(first.db)
    await sql`insert into notes values ('kept')`.execute(first.db)
    await first.close()

    const second = await openDatabase({ pglite: { dataDir }, applicationName: 'embedded-test' })
    try {
      const { rows } = await sql<{ body: string }>`select body from notes`.execute(second.db)
      expect(rows).toEqual([{ body: 'kept' }])
    } finally {
      await second.close()
    }
  })

  it('rejects url and pglite together', async () => {
    await expect(
      openDatabase({ url: 'postgres://h/db', pglite: { dataDir: 'memory://' }, applicationName: 'x' }),
    ).rejects.toBeInstanceOf(InvalidDatabaseOptionsError)
  })
})

describe('one embedded PGlite shared by several processes', () => {
  let server: EmbeddedPostgres
  beforeAll(async () => {
    server = await serveEmbeddedPostgres({ dataDir: 'memory://' })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('a child process writes through the URL and this process reads what it wrote', async () => {
    const handle = await openDatabase({ url: server.url, applicationName: 'parent' })
    try {
      await sql`create table visits (who text)`.execute(handle.db)
      // The child uses pg directly: the same wire protocol a function process would use.
      const child = `
        import pg from 'pg'
        const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 })
        await Promise.all([1, 2, 3].map((i) => pool.query('insert into visits values ($1)', ['child-' + i])))
        await pool.end()
      `
      const node = join(process.cwd(), 'node_modules/.bin/node')
      await promisify(execFile)(node, ['--input-type=module', '-e', child], {
        env: { ...process.env, DATABASE_URL: server.url },
        cwd: process.cwd(),
      })
      const { rows } = await sql<{ who: string }>`select who from visits order by who`.execute(handle.db)
      expect(rows.map((row) => row.who)).toEqual(['child-1', 'child-2', 'child-3'])
    } finally {
      await handle.close()
    }
  })
})
