import type { Logger } from 'pino'
import { type DatabaseHandle, migrate, openDatabase } from '../../db/src/index.ts'

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

export type { DatabaseHandle } from '../../db/src/index.ts'
export { isTransientDatabaseError } from '../../db/src/index.ts'
