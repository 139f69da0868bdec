import type { Kysely } from 'kysely'
import type { QueryResultRow } from 'pg'
import type { Logger } from 'pino'
import { type DatabaseHandle, migrate, openDatabase, type PreparedStatement } from '../../db/src/index.ts'

// Every function opens its database the same way: PostgreSQL when DATABASE_URL is set, else an
// embedded PGlite (so a lone copy of the folder runs with nothing else), then applies its own
// migrations into its own schema before the runtime starts listening.

export type FunctionDatabaseOptions = {
  /** DATABASE_URL; absent: an embedded PGlite in `pgliteDataDir`. */
  readonly url?: string | undefined
  /** Where the embedded PGlite keeps its files; `memory://` for nothing on disk. */
  readonly pgliteDataDir?: string | undefined
  /** The function's schema: its tables, its inbox and its migration record live there. */
  readonly schema: string
  readonly migrationsFolder: string | URL
  /** Shown in pg_stat_activity. */
  readonly applicationName: string
  readonly poolMax?: number
  readonly logger?: Logger
}

export async function openFunctionDatabase<DB>(
  options: FunctionDatabaseOptions,
): Promise<DatabaseHandle<DB>> {
  const handle = await openDatabase<DB>({
    applicationName: options.applicationName,
    ...(options.url === undefined
      ? { pglite: { dataDir: options.pgliteDataDir ?? '.data/pglite' } }
      : { url: options.url }),
    ...(options.poolMax === undefined ? {} : { poolMax: options.poolMax }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  try {
    await migrate(handle.db, {
      schema: options.schema,
      folder: options.migrationsFolder,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    })
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

export type { DatabaseHandle, PreparedStatement, PrepareStatement } from '../../db/src/index.ts'
export { createGroupCommit, isTransientDatabaseError } from '../../db/src/index.ts'

/**
 * The database a function owns for its whole life: opened and migrated by the function's init(), closed
 * by shutdown(), and refused with a clear error before init finished (faas-js-runtime only routes
 * requests once init resolved, so that error means a wiring mistake, not a race).
 */
export interface FunctionDatabase<DB> {
  open(): Promise<void>
  close(): Promise<void>
  /** The whole database, e.g. for the inbox, which qualifies its own table with the schema. */
  db(): Kysely<DB>
  /** The function's schema as the default, so its own tables are named unqualified. */
  tables(): Kysely<DB>
  /**
   * A hot-path statement: one round trip, parsed and planned once per connection (the handle's
   * `prepared`). Declared once at start, usable after open(); `text` names the schema itself.
   */
  statement<Row extends QueryResultRow>(name: string, text: string): PreparedStatement<Row>
}

export function functionDatabase<DB>(options: FunctionDatabaseOptions): FunctionDatabase<DB> {
  let handle: DatabaseHandle<DB> | undefined
  const opened = (): DatabaseHandle<DB> => {
    if (!handle)
      throw new Error(`${options.applicationName} is not initialised: init() must finish before handle()`)
    return handle
  }
  return {
    async open() {
      handle = await openFunctionDatabase<DB>(options)
    },
    async close() {
      const closing = handle
      handle = undefined
      await closing?.close()
    },
    db: () => opened().db,
    tables: () => opened().db.withSchema(options.schema),
    statement<Row extends QueryResultRow>(name: string, text: string): PreparedStatement<Row> {
      // Bound to the handle it was first run on; a reopened database gets the statement anew.
      let bound: { handle: DatabaseHandle<DB>; run: PreparedStatement<Row> } | undefined
      return (values) => {
        const current = opened()
        if (bound?.handle !== current) bound = { handle: current, run: current.prepared<Row>(name, text) }
        return bound.run(values)
      }
    },
  }
}
