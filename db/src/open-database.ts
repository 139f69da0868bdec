import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from './embedded-server.ts'
import { DatabaseUnreachableError, InvalidDatabaseOptionsError } from './errors.ts'
import { redactUrl } from './redact-url.ts'

export interface OpenDatabaseOptions {
  /** A real PostgreSQL (`DATABASE_URL`). Absent: an embedded PGlite served in this process. */
  url?: string
  /** Where the embedded PGlite keeps its files (default `.data/pglite`; `memory://` for tests). */
  pglite?: { dataDir: string }
  poolMax?: number
  /** Shown in pg_stat_activity, so an operator can tell the API from each function. */
  applicationName: string
  /** How long to wait for a connection before failing (default 10 s; pg's own default waits forever). */
  connectTimeoutMs?: number
  /**
   * Whether `prepared` names its statements (default true). Off behind a pooler that cannot keep
   * them per client (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
   */
  preparedStatements?: boolean
  logger?: Logger
}

/** Runs one statement with its values and returns its rows; see DatabaseHandle.prepared. */
export type PreparedStatement<Row = pg.QueryResultRow> = (values: unknown[]) => Promise<Row[]>

/** DatabaseHandle.prepared, for code that takes it as a dependency. */
export type PrepareStatement = <Row extends pg.QueryResultRow = pg.QueryResultRow>(
  name: string,
  text: string,
) => PreparedStatement<Row>

export interface DatabaseHandle<DB> {
  db: Kysely<DB>
  pool: pg.Pool
  /** The URL connected to, password redacted. */
  url: string
  /** True when this handle started its own PGlite. */
  embedded: boolean
  /**
   * A statement PostgreSQL parses and plans once per connection instead of on every run: a named
   * prepared statement, kept by pg per connection. Unnamed where names cannot work: on PGlite, whose
   * connections all share one session (a name one connection prepared collides with the next one's
   * Parse), whether embedded here or reached by URL, and when `preparedStatements` is off.
   */
  prepared: PrepareStatement
  /** Throws DatabaseUnreachableError when no connection can be made or used. */
  ping(): Promise<void>
  close(): Promise<void>
}

export const defaultPgliteDataDir = '.data/pglite'

export async function openDatabase<DB>(options: OpenDatabaseOptions): Promise<DatabaseHandle<DB>> {
  const {
    url,
    pglite,
    poolMax = 10,
    applicationName,
    connectTimeoutMs = 10_000,
    preparedStatements = true,
    logger,
  } = options
  if (url !== undefined && pglite !== undefined) {
    throw new InvalidDatabaseOptionsError('give either url (PostgreSQL) or pglite (embedded), not both')
  }
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new InvalidDatabaseOptionsError(
      `database url must start with postgres:// or postgresql://, got ${redactUrl(url)}`,
    )
  }
  if (!Number.isInteger(poolMax) || poolMax < 1) {
    throw new InvalidDatabaseOptionsError(`poolMax must be a positive integer, got ${poolMax}`)
  }

  let embeddedServer: EmbeddedPostgres | undefined
  if (url === undefined) {
    embeddedServer = await serveEmbeddedPostgres({ dataDir: pglite?.dataDir ?? defaultPgliteDataDir })
  }
  const connectionString = url ?? embeddedServer!.url
  const redacted = redactUrl(connectionString)

  const pool = new pg.Pool({
    connectionString,
    max: poolMax,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
  })
  // An idle client whose server goes away emits 'error' on the pool; unhandled, it would kill the
  // process. The pool drops that client and the next checkout opens a fresh connection.
  pool.on('error', (error) => {
    logger?.warn({ err: error, url: redacted }, 'idle database connection failed')
  })

  // A connection checked out but idle (a transaction waiting on application code) reports a dead
  // server as an 'error' event nobody listens to, which would also kill the process. Listening on
  // every connection turns it into a failed next query, which pg-pool then discards.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      logger?.warn({ err: error, url: redacted }, 'database connection failed')
    })
  })

  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })

  async function query<Row extends pg.QueryResultRow>(text: string): Promise<Row[]> {
    try {
      return (await pool.query<Row>(text)).rows
    } catch (error) {
      throw new DatabaseUnreachableError(connectionString, error)
    }
  }
  async function ping(): Promise<void> {
    await query('select 1')
  }

  let closing: Promise<void> | undefined
  function close(): Promise<void> {
    // Kysely's destroy ends the pool it was given.
    closing ??= (async () => {
      await db.destroy()
      await embeddedServer?.close()
    })()
    return closing
  }

  // The first round trip checks the server answers and tells PGlite (embedded or by URL) apart.
  let version: string
  try {
    const [row] = await query<{ version: string }>('select version()')
    version = row?.version ?? ''
  } catch (error) {
    await close()
    throw error
  }
  const named = preparedStatements && !/\bPGlite\b/.test(version)
  const prepared: PrepareStatement = <Row extends pg.QueryResultRow>(name: string, text: string) =>
    named
      ? async (values: unknown[]) => (await pool.query<Row>({ name, text, values })).rows
      : async (values: unknown[]) => (await pool.query<Row>(text, values)).rows
  logger?.info(
    { url: redacted, embedded: embeddedServer !== undefined, applicationName, preparedStatements: named },
    'database opened',
  )
  return { db, pool, url: redacted, embedded: embeddedServer !== undefined, prepared, ping, close }
}
