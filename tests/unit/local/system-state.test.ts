import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  readSystemState,
  removeSystemState,
  SeveralSystemsError,
  type SystemState,
  stateFileOf,
  writeSystemState,
} from '../../../local/src/system-state.ts'
import { deadPid } from '../../support/dead-pid.ts'
import { localSystemEntry } from '../../support/entry-points.ts'
import { eventually } from '../../support/eventually.ts'
import { runCli } from '../../support/run-cli.ts'
import { repoRoot } from '../../support/schemas.ts'

// Issue 21: each `npm start` writes a state file of its own, so two systems side by side neither
// overwrite nor remove each other's, and the CLIs find the one running, or say which ones run.

let root: string
let stateDir: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'taskflow-systems-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})
beforeEach(async () => {
  stateDir = await mkdtemp(join(root, 'systems-'))
  vi.stubEnv('TASKFLOW_STATE_DIR', stateDir)
})
afterEach(() => {
  vi.unstubAllEnvs()
})

function system(pid: number, port: number): SystemState {
  return {
    pid,
    startedAt: new Date(Date.UTC(2026, 11, 7, 10, 0, port % 60)).toISOString(),
    gateway: `http://127.0.0.1:${port}/`,
    functions: { 'audit-log': `http://127.0.0.1:${port}/fn/audit-log` },
    status: `http://127.0.0.1:${port}/_local/status`,
  }
}

describe('the state file of each running system', () => {
  it('one live and one stale: the live one, and the stale file is removed', async () => {
    const gone = await deadPid()
    await writeSystemState(system(gone, 8080))
    await writeSystemState(system(process.pid, 8081))
    expect(await readSystemState()).toMatchObject({ pid: process.pid, gateway: 'http://127.0.0.1:8081/' })
    expect(await readdir(stateDir)).toEqual([`${process.pid}.json`])
  })

  it('none live: no system', async () => {
    await writeSystemState(system(await deadPid(), 8080))
    expect(await readSystemState()).toBeNull()
    await rm(stateDir, { recursive: true })
    expect(await readSystemState()).toBeNull()
  })

  it('two live: an error listing each, to choose with --state-file; an explicit file still answers', async () => {
    await writeSystemState(system(process.pid, 8080))
    await writeSystemState(system(process.ppid, 8081))
    const error = await readSystemState().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SeveralSystemsError)
    const message = (error as Error).message
    expect(message).toContain('choose one with --state-file <file>')
    for (const [pid, port] of [
      [process.pid, 8080],
      [process.ppid, 8081],
    ] as const) {
      expect(message).toContain(`pid ${pid}  http://127.0.0.1:${port}/  --state-file ${stateFileOf(pid)}`)
    }
    expect(await readSystemState(stateFileOf(process.ppid))).toMatchObject({ pid: process.ppid })
  })

  it('an explicit file of a process gone, or no file: no system', async () => {
    const gone = await deadPid()
    await writeSystemState(system(gone, 8080))
    expect(await readSystemState(stateFileOf(gone))).toBeNull()
    expect(await readSystemState(join(stateDir, 'none.json'))).toBeNull()
  })

  it('a stop removes its own file only', async () => {
    await writeSystemState(system(process.pid, 8080))
    await writeSystemState(system(process.ppid, 8081))
    await removeSystemState()
    expect(existsSync(stateFileOf(process.pid))).toBe(false)
    expect(await readSystemState()).toMatchObject({ pid: process.ppid })
  })
})

describe('the CLIs finding the running system', () => {
  const clis = [
    ['status', 'local/src/status-cli.ts', []],
    ['invoke', 'local/src/invoke.ts', ['audit-log']],
    ['logs', 'local/src/logs-cli.ts', ['audit-log']],
    ['dead-letters', 'ops/dead-letters/main.ts', ['list']],
  ] as const

  it.each(clis)('npm run %s with two systems running: lists them, exit code 2', async (_, script, args) => {
    await writeSystemState(system(process.pid, 8080))
    await writeSystemState(system(process.ppid, 8081))
    const run = await runCli(script, args, { TASKFLOW_STATE_DIR: stateDir })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('2 local systems are running (npm start); choose one with --state-file')
    expect(run.stderr).toContain(`pid ${process.pid}  http://127.0.0.1:8080/  --state-file ${stateFileOf()}`)
    expect(run.stderr).toContain(`pid ${process.ppid}  http://127.0.0.1:8081/`)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('one live and one stale: the live one', async () => {
    await writeSystemState(system(await deadPid(), 8080))
    await writeSystemState(system(process.pid, 8081))
    const run = await runCli('local/src/invoke.ts', ['audit-log', '--dry-run'], {
      TASKFLOW_STATE_DIR: stateDir,
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('would POST to audit-log (http://127.0.0.1:8081/fn/audit-log)')
  })
})

describe('npm start', () => {
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('writes a state file of its own beside another system’s, and removes only its own at stop', async () => {
    await writeSystemState(system(process.pid, 8080))
    const child = spawn(process.execPath, [localSystemEntry], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        PGLITE_DATA_DIR: join(stateDir, 'pglite'),
        TASKFLOW_STATE_DIR: stateDir,
        LOG_FORMAT: 'json',
        STATUS_INTERVAL_MS: '0',
      },
      stdio: 'ignore',
    })
    children.push(child)
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const own = stateFileOf(child.pid)
    await eventually(() => existsSync(own), 'its state file', 90_000)
    expect(await readSystemState(own)).toMatchObject({ pid: child.pid })
    await expect(readSystemState()).rejects.toBeInstanceOf(SeveralSystemsError)

    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(own)).toBe(false)
    expect(await readSystemState()).toMatchObject({ pid: process.pid })
  }, 120_000)
})
