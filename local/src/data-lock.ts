// One `npm start` per data folder: two PGlite servers on one folder would corrupt it. The lock is a
// file beside the folder holding the pid of its owner, created atomically (a complete file linked into
// place, so nobody reads it half-written); one whose pid is gone is stale and taken over.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export interface DataLock {
  readonly file: string
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void
}

export class DataLockHeldError extends Error {
  override readonly name = 'DataLockHeldError'
  readonly pid: number
  readonly file: string

  constructor(file: string, pid: number, since: string | undefined) {
    super(
      `another npm start (pid ${pid}${since ? `, since ${since}` : ''}) uses this data folder ` +
        `(lock ${file}): stop it, or give this one a folder of its own, e.g. PGLITE_DATA_DIR=.data/pglite-2`,
    )
    this.pid = pid
    this.file = file
  }
}

/** The lock file of a data folder: beside it, so the folder holds only the database's own files. */
export function dataLockFile(dataDir: string): string {
  return `${resolve(dataDir)}.lock`
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, as another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock of `dataDir` for this process, or throws DataLockHeldError naming its live owner. */
export function acquireDataLock(dataDir: string, pid: number = process.pid): DataLock {
  const file = dataLockFile(dataDir)
  mkdirSync(dirname(file), { recursive: true })
  const staging = `${file}.${pid}.${Date.now()}`
  writeFileSync(staging, `${JSON.stringify({ pid, since: new Date().toISOString(), dataDir })}\n`)
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
        throw new DataLockHeldError(file, owner.pid, owner.since)
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
