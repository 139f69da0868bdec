import { type Kysely, sql } from 'kysely'
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration'
import type { Logger } from 'pino'
import { InvalidDatabaseOptionsError, MigrationFailedError } from './errors.ts'
import { type MigrationFile, readMigrationFiles } from './migration-files.ts'

export interface MigrateOptions {
  /** The component's own schema: its tables live there and so does its migration record. */
  schema: string
  /** Folder of `NNNN_name.sql` files. */
  folder: string | URL
  logger?: Logger
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/

// Plain SQL files, applied in name order, each in its own transaction, recorded per schema.
// Kysely's Migrator does the bookkeeping: it takes a PostgreSQL advisory lock around every run and
// reads what is applied inside the transaction, so two replicas starting together apply each file
// once (the second waits, then finds nothing left to do).
// biome-ignore lint/suspicious/noExplicitAny: every component's Kysely<DB> must be accepted; the SQL files are untyped
export async function migrate(db: Kysely<any>, options: MigrateOptions): Promise<{ applied: string[] }> {
  const { schema, folder, logger } = options
  if (!schemaName.test(schema)) {
    throw new InvalidDatabaseOptionsError(`schema must be a lowercase SQL identifier, got "${schema}"`)
  }
  const files = await readMigrationFiles(folder)
  const migrator = new Migrator({
    db,
    provider: sqlFileProvider(files, schema),
    migrationTableSchema: schema,
  })

  const applied: string[] = []
  // One file per migrateUp call: each file commits on its own, so a failing file keeps the ones
  // before it (a whole-batch transaction would redo them all on the next start).
  for (;;) {
    const { error, results = [] } = await migrator.migrateUp()
    const failed = results.find((result) => result.status === 'Error')
    if (error !== undefined || failed !== undefined) {
      if (error instanceof MigrationFailedError) throw error
      throw new MigrationFailedError(schema, failed?.migrationName ?? '(migration bookkeeping)', error)
    }
    const done = results.filter((result) => result.status === 'Success').map((result) => result.migrationName)
    if (done.length === 0) break
    for (const name of done) logger?.info({ schema, migration: name }, 'migration applied')
    applied.push(...done)
  }
  return { applied }
}

function sqlFileProvider(files: readonly MigrationFile[], schema: string): MigrationProvider {
  const migrations: Record<string, Migration> = {}
  for (const file of files) {
    migrations[file.name] = {
      async up(trx) {
        try {
          // Unqualified names in the file land in the component's schema; SET LOCAL ends with the
          // transaction, so the pooled connection goes back unchanged.
          await sql
            .raw(`create schema if not exists "${schema}"; set local search_path to "${schema}", public`)
            .execute(trx)
          // No parameters: pg sends a simple Query, which may hold several statements.
          await sql.raw(file.sql).execute(trx)
        } catch (error) {
          throw new MigrationFailedError(schema, file.fileName, error)
        }
      },
    }
  }
  return { getMigrations: async () => migrations }
}
