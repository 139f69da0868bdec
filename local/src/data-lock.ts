// One `npm start` per database: two PGlite servers on one data folder would corrupt it, and two systems
// on one DATABASE_URL would both run its outbox relay, its embedded event log's consumer groups and its
// PingSources. The lock is a file holding the pid of its owner, created atomically (a complete file
// linked into place, so nobody reads it half-written); one whose pid is gone is stale and taken over.
import { createHash } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { redactUrl } from '../../db/src/redact-url.ts'
import { isAlive } from './process-alive.ts'

export interface DataLock {
  readonly file: string
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void
}

export class DataLockHeldError extends Error {
  override readonly name = 'DataLockHeldError'
  readonly pid: number
  readonly file: string

  constructor(guarded: Guarded, pid: number, since: string | undefined) {
    super(
      `another npm start (pid ${pid}${since ? `, since ${since}` : ''}) uses ${guarded.what} ` +
        `(lock ${guarded.file}): stop it, or ${guarded.remedy}`,
    )
    this.pid = pid
    this.file = guarded.file
  }
}

/** What a lock guards: its file, and what a second npm start is told about it. */
interface Guarded {
  readonly file: string
  /** e.g. "this data folder". */
  readonly what: string
  /** What to run instead of the second one. */
  readonly remedy: string
  /** Written in the lock beside its owner, for a person who reads it. */
  readonly detail: Readonly<Record<string, string>>
}

/** The lock file of a data folder: beside it, so the folder holds only the database's own files. */
export function dataLockFile(dataDir: string): string {
  return `${resolve(dataDir)}.lock`
}

/** Takes the lock of the PGlite data folder `dataDir` for this process, or throws DataLockHeldError. */
export function acquireDataLock(dataDir: string, pid: number = process.pid): DataLock {
  return acquireLock(
    {
      file: dataLockFile(dataDir),
      what: 'this data folder',
      remedy: 'give this one a folder of its own, e.g. PGLITE_DATA_DIR=.data/pglite-2',
      detail: { dataDir },
    },
    pid,
  )
}

const databaseLockDir = resolve(import.meta.dirname, '../../.data/local')

/**
 * The lock file of a PostgreSQL database: named by a hash of its host, port and name, so the same
 * database under another user or password is the same lock, and no credential is in a file name.
 */
export function databaseLockFile(databaseUrl: string, dir: string = databaseLockDir): string {
  const url = new URL(databaseUrl)
  // libpq's defaults: host and port may be query parameters (a socket folder), the name is the user's.
  const host = (url.searchParams.get('host') ?? decodeURIComponent(url.hostname)) || 'localhost'
  const port = url.searchParams.get('port') ?? (url.port || '5432')
  const name = decodeURIComponent(url.pathname.slice(1) || url.username)
  const key = createHash('sha256').update(`${host.toLowerCase()}:${port}/${name}`).digest('hex')
  return join(dir, `database-${key.slice(0, 16)}.lock`)
}

/** Takes the lock of the database at `databaseUrl` for this process, or throws DataLockHeldError. */
export function acquireDatabaseLock(databaseUrl: string, pid: number = process.pid): DataLock {
  const database = redactUrl(databaseUrl)
  return acquireLock(
    {
      file: databaseLockFile(databaseUrl),
      what: `the database ${database}`,
      remedy: 'give this one a database of its own (another DATABASE_URL, or another database name in it)',
      detail: { database },
    },
    pid,
  )
}

type Owner = { pid: number; since?: string }

function readOwner(file: string): Owner | null | 'missing' {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const owner = JSON.parse(text) as Owner
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : null
  } catch {
    return null
  }
}

function acquireLock(guarded: Guarded, pid: number): DataLock {
  const { file } = guarded
  mkdirSync(dirname(file), { recursive: true })
  const staging = `${file}.${pid}.${Date.now()}`
  writeFileSync(staging, `${JSON.stringify({ pid, since: new Date().toISOString(), ...guarded.detail })}\n`)
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(staging, file)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error
      }
      const owner = readOwner(file)
      if (owner === 'missing') continue
      if (owner !== null && owner.pid !== pid && isAlive(owner.pid))
        throw new DataLockHeldError(guarded, owner.pid, owner.since)
      // Stale: its owner is gone (or the file is not a lock of ours).
      rmSync(file, { force: true })
    }
  } finally {
    rmSync(staging, { force: true })
  }
  let released = false
  return {
    file,
    release() {
      if (released) return
      released = true
      const owner = readOwner(file)
      if (typeof owner === 'object' && owner?.pid === pid) rmSync(file, { force: true })
    },
  }
}
