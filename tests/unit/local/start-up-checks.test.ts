import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  acquireDataLock,
  DataLockHeldError,
  databaseLockFile,
  dataLockFile,
} from '../../../local/src/data-lock.ts'
import { holdPort, portTakenHint } from '../../../local/src/port-check.ts'
import { writeSystemState } from '../../../local/src/system-state.ts'
import { deadPid } from '../../support/dead-pid.ts'
import { localSystemEntry } from '../../support/entry-points.ts'
import { eventually } from '../../support/eventually.ts'
import { runCli } from '../../support/run-cli.ts'

// Issue 21: `npm start` says at once, before its slow steps (PGlite's first init, function builds), that
// its port is taken or that another `npm start` uses its data folder or its DATABASE_URL (exit code 2),
// and gives the folder or the database back however it stops.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
let dir: string
let taken: Server
let takenPort: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskflow-start-'))
  taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  takenPort = (taken.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

describe('npm start: its port', () => {
  it('a taken port ends the start at once with exit code 2 and another PORT to use', async () => {
    const dataDir = join(dir, 'port-taken')
    const run = await runCli(localSystemEntry, [], { PORT: String(takenPort), PGLITE_DATA_DIR: dataDir })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`port 127.0.0.1:${takenPort} is already in use`)
    expect(run.stderr).toMatch(/PORT=\d+ npm start/)
    // Nothing slow was begun: no database, no lock.
    expect(existsSync(dataDir)).toBe(false)
    expect(existsSync(dataLockFile(dataDir))).toBe(false)
  })

  it('names the taskflow holding the port when a state file says so', async () => {
    vi.stubEnv('TASKFLOW_STATE_DIR', join(dir, 'systems'))
    try {
      const system = (pid: number, port: number) => ({
        pid,
        startedAt: '2026-12-07T10:00:00.000Z',
        gateway: `http://127.0.0.1:${port}/`,
        functions: {},
        status: `http://127.0.0.1:${port}/_local/status`,
      })
      // Two systems run: the one on the taken port is named.
      await writeSystemState(system(process.ppid, takenPort + 1))
      await writeSystemState(system(process.pid, takenPort))
      expect(await holdPort('127.0.0.1', takenPort)).toBe('EADDRINUSE')
      const hint = await portTakenHint('127.0.0.1', takenPort, 'EADDRINUSE')
      expect(hint).toContain(`taskflow (pid ${process.pid}`)
      expect(hint).toContain(`PORT=${takenPort + 1} npm start`)
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('npm start: one per data folder', () => {
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('a second start on the same data folder ends at once with exit code 2, naming the first', async () => {
    const dataDir = join(dir, 'shared')
    const lock = acquireDataLock(dataDir)
    try {
      const run = await runCli(localSystemEntry, [], { PORT: '0', PGLITE_DATA_DIR: dataDir })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`another npm start (pid ${process.pid}`)
      expect(run.stderr).toContain('PGLITE_DATA_DIR=')
      expect(existsSync(dataDir)).toBe(false)
    } finally {
      lock.release()
    }
    expect(existsSync(dataLockFile(dataDir))).toBe(false)
  })

  it('a lock whose process is gone is stale: taken over', async () => {
    const dataDir = join(dir, 'stale')
    const gone = await deadPid()
    writeFileSync(dataLockFile(dataDir), `${JSON.stringify({ pid: gone, since: 'yesterday' })}\n`)
    const lock = acquireDataLock(dataDir)
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid)
    expect(() => acquireDataLock(dataDir, process.ppid)).toThrow(DataLockHeldError)
    lock.release()
    expect(existsSync(lock.file)).toBe(false)
  })

  it.each([
    ['SIGTERM', 'json'],
    ['SIGINT', 'pretty'],
  ] as const)(
    '%s during the start gives the folder back (logs as LOG_FORMAT=%s says)',
    async (signal, format) => {
      const dataDir = join(dir, `signal-${signal}`)
      const child = spawn(process.execPath, [localSystemEntry], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, PORT: '0', PGLITE_DATA_DIR: dataDir, LOG_FORMAT: format },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      await eventually(() => existsSync(dataLockFile(dataDir)), 'the lock taken')
      child.kill(signal)
      expect(await exited).toBe(0)
      expect(existsSync(dataLockFile(dataDir))).toBe(false)
      const stopping = stdout.split('\n').find((line) => line.includes('stopping'))
      if (format === 'json') expect(JSON.parse(stopping ?? '')).toMatchObject({ level: 30, signal })
      else expect(stopping).toMatch(/INFO.*stopping/)
    },
  )
})

describe('npm start: one per DATABASE_URL', () => {
  const children: ChildProcess[] = []
  let silent: Server
  let silentPort: number
  beforeAll(async () => {
    // A PostgreSQL that accepts and never answers: a start waits for it (holding its lock) until killed.
    silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    silentPort = (silent.address() as { port: number }).port
  })
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  })
  afterAll(async () => {
    await new Promise((resolve) => silent.close(resolve))
  })

  const password = `pw-${process.pid}-${Date.now()}`
  const databaseUrl = (user: string, secret: string, name = `lock-${process.pid}`) =>
    `postgres://${user}:${secret}@127.0.0.1:${silentPort}/${name}`

  it('a second start on the same database ends at once with exit code 2, naming it without its password', async () => {
    const first = spawn(process.execPath, [localSystemEntry], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: databaseUrl('taskflow', 'first-secret') },
      stdio: 'ignore',
    })
    children.push(first)
    const exited = new Promise<number | null>((resolve) => first.once('exit', resolve))
    const lockFile = databaseLockFile(databaseUrl('taskflow', 'first-secret'))
    await eventually(() => existsSync(lockFile), 'the first start holding the database lock')
    expect(readFileSync(lockFile, 'utf8')).not.toContain('first-secret')

    // Another user and password, the same database: refused before any slow step.
    const second = await runCli(localSystemEntry, [], {
      PORT: '0',
      DATABASE_URL: databaseUrl('other', password),
    })
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`another npm start (pid ${first.pid}`)
    expect(second.stderr).toContain(`uses the database postgres://other:***@127.0.0.1:${silentPort}/lock-`)
    expect(second.stderr).toContain('another DATABASE_URL')
    expect(second.stderr).not.toContain('PGLITE_DATA_DIR')
    expect(second.stderr).not.toContain(password)
    expect(second.stderr).not.toMatch(/\n\s+at /)

    first.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(lockFile)).toBe(false)
  })

  it('keys the lock by host, port and database name, none of its credentials in the file name', () => {
    const file = databaseLockFile(databaseUrl('taskflow', password, 'tasks'))
    expect(file).toBe(databaseLockFile(`postgresql://someone@127.0.0.1:${silentPort}/tasks?sslmode=disable`))
    expect(file).not.toBe(databaseLockFile(databaseUrl('taskflow', password, 'tasks-2')))
    expect(file).not.toBe(databaseLockFile(`postgres://taskflow@127.0.0.2:${silentPort}/tasks`))
    expect(basename(file)).toMatch(/^database-[0-9a-f]{16}\.lock$/)
  })
})
