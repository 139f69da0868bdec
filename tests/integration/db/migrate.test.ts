import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, expect, it } from 'vitest'
import { type DatabaseHandle, MigrationFailedError, migrate, openDatabase } from '../../../db/src/index.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Needs: PostgreSQL at TEST_DATABASE_URL (PGlite runs in-process).

async function migrationsFolder(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'migrations-'))
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content)
  return folder
}

// Non-idempotent on purpose: applying a file twice fails (create table) or leaves a trace (insert).
const twoFiles = {
  '0001_create_items.sql': 'create table items (id int primary key, label text not null);',
  '0002_seed_items.sql':
    "insert into items values (1, 'one'); create table runs (at timestamptz default now()); insert into runs default values;",
}

let counter = 0
function uniqueSchema(): string {
  counter += 1
  return `mig_${process.pid}_${counter}`
}

await describeEachDatabase('SQL migrations', (backend) => {
  const handles: DatabaseHandle<unknown>[] = []
  async function open(): Promise<DatabaseHandle<unknown>> {
    const handle = await openDatabase<unknown>({ url: backend.url, applicationName: 'migrate-test' })
    handles.push(handle)
    return handle
  }
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()))
  })

  it('applies files in order into the schema, once; a re-run applies nothing', async () => {
    const { db } = await open()
    const schema = uniqueSchema()
    const folder = await migrationsFolder(twoFiles)

    expect(await migrate(db, { schema, folder })).toEqual({
      applied: ['0001_create_items', '0002_seed_items'],
    })
    expect(await migrate(db, { schema, folder })).toEqual({ applied: [] })

    const { rows } = await sql<{ label: string }>`select label from ${sql.table(`${schema}.items`)}`.execute(
      db,
    )
    expect(rows).toEqual([{ label: 'one' }])
  })

  it('applies a file added later, and only that one', async () => {
    const { db } = await open()
    const schema = uniqueSchema()
    const folder = await migrationsFolder(twoFiles)
    await migrate(db, { schema, folder })
    await writeFile(
      join(folder, '0003_add_done.sql'),
      'alter table items add column done boolean not null default false;',
    )

    expect(await migrate(db, { schema, folder })).toEqual({ applied: ['0003_add_done'] })
  })

  it('tracks migrations per schema: two components with the same file names both migrate', async () => {
    const { db } = await open()
    const folder = await migrationsFolder(twoFiles)
    const [first, second] = [uniqueSchema(), uniqueSchema()]

    expect((await migrate(db, { schema: first, folder })).applied).toHaveLength(2)
    expect((await migrate(db, { schema: second, folder })).applied).toHaveLength(2)
  })

  it('two migrators starting together apply each file exactly once', async () => {
    const [a, b] = [await open(), await open()]
    const schema = uniqueSchema()
    const folder = await migrationsFolder(twoFiles)

    const [resultA, resultB] = await Promise.all([
      migrate(a.db, { schema, folder }),
      migrate(b.db, { schema, folder }),
    ])

    expect([...resultA.applied, ...resultB.applied].sort()).toEqual(['0001_create_items', '0002_seed_items'])
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from ${sql.table(`${schema}.runs`)}`.execute(a.db)
    expect(rows).toEqual([{ n: 1 }])
  })

  it('a bad SQL file fails with an error naming the file; the files before it stay applied', async () => {
    const { db } = await open()
    const schema = uniqueSchema()
    const folder = await migrationsFolder({
      '0001_create_items.sql': twoFiles['0001_create_items.sql'],
      '0002_broken.sql': "insert into items values (2, 'two'); create tabel oops (id int);",
    })

    const failure = await migrate(db, { schema, folder }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(MigrationFailedError)
    expect((failure as MigrationFailedError).file).toBe(join(folder, '0002_broken.sql'))
    expect((failure as Error).message).toMatch(/0002_broken\.sql.*syntax error/)

    // 0001 committed on its own; 0002 rolled back whole (its insert too).
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from ${sql.table(`${schema}.items`)}`.execute(db)
    expect(rows).toEqual([{ n: 0 }])
    await writeFile(join(folder, '0002_broken.sql'), "insert into items values (2, 'two');")
    expect(await migrate(db, { schema, folder })).toEqual({ applied: ['0002_broken'] })
  })

  it('leaves the pooled connection search_path as it was', async () => {
    const { db } = await open()
    const before = await sql<{ search_path: string }>`show search_path`.execute(db)
    await migrate(db, { schema: uniqueSchema(), folder: await migrationsFolder(twoFiles) })
    const after = await sql<{ search_path: string }>`show search_path`.execute(db)
    expect(after.rows).toEqual(before.rows)
  })
})
