import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { InvalidDatabaseOptionsError } from './errors.ts'
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
export async function serveEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, host = '127.0.0.1', port = 0, maxConnections = defaultMaxConnections } = options
  if (dataDir.trim() === '') throw new InvalidDatabaseOptionsError('pglite dataDir must not be empty')
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidDatabaseOptionsError(`maxConnections must be a positive integer, got ${maxConnections}`)
  }
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
