import { mkdir } from 'node:fs/promises'
import { EmbeddedDatabaseUnavailableError, InvalidDatabaseOptionsError } from './errors.ts'
import { withExtendedQueryAffinity } from './extended-query-affinity.ts'

export interface EmbeddedPostgresOptions {
  /** A filesystem path (persistent) or `memory://` (gone on close). */
  dataDir: string
  /** 0 or absent: a free port chosen by the OS. */
  port?: number
  host?: string
  /** Sockets the server accepts at once; pglite-socket answers one more by closing it. */
  maxConnections?: number
}

export interface EmbeddedPostgres {
  /** postgres:// URL any pg client (in this process or a child) can connect to. */
  url: string
  close(): Promise<void>
}

const defaultMaxConnections = 100

// One PGlite (a single Postgres backend in WASM) served over the wire protocol, so that the API,
// the function processes and the local event log all use the same pg + kysely code path as on a
// real PostgreSQL, and several processes can share one database. Only ONE process may open a
// given dataDir: the others connect to the URL this returns.
// PGlite (27 MB) is loaded here, on demand, never at import: a process given a DATABASE_URL (every
// function on a cluster) never loads it, so a function image can leave it out (functions/*/package.json
// list it as a devDependency, which the buildpack prunes from the image).
export async function serveEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, host = '127.0.0.1', port = 0, maxConnections = defaultMaxConnections } = options
  if (dataDir.trim() === '') throw new InvalidDatabaseOptionsError('pglite dataDir must not be empty')
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidDatabaseOptionsError(`maxConnections must be a positive integer, got ${maxConnections}`)
  }
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    importEmbedded(() => import('@electric-sql/pglite'), '@electric-sql/pglite'),
    importEmbedded(() => import('@electric-sql/pglite-socket'), '@electric-sql/pglite-socket'),
  ])
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true })

  const pglite = await PGlite.create(dataDir)
  const server = new PGLiteSocketServer({ db: withExtendedQueryAffinity(pglite), host, port, maxConnections })
  try {
    await server.start()
  } catch (error) {
    await pglite.close()
    throw error
  }
  const url = `postgres://postgres@${server.getServerConn()}/postgres`

  let closing: Promise<void> | undefined
  return {
    url,
    close() {
      closing ??= (async () => {
        await server.stop()
        await pglite.close()
      })()
      return closing
    },
  }
}

/** Loads one of the embedded database's packages, or says what to do when the build left it out. */
async function importEmbedded<Module>(load: () => Promise<Module>, name: string): Promise<Module> {
  try {
    return await load()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(error).includes(name)) {
      throw new EmbeddedDatabaseUnavailableError(name, error)
    }
    throw error
  }
}
