import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface PrivatePostgres {
  url: string
  port: number
  /** Start (again) on the same port and data: committed data survives stop/kill. */
  start(): Promise<void>
  /** Fast shutdown (SIGINT): clients get 57P01 admin_shutdown. */
  stop(): Promise<void>
  /** SIGKILL the postmaster: a crash, connections drop with no goodbye. */
  kill(): Promise<void>
  /** Stop and delete the data directory. */
  destroy(): Promise<void>
}

// A PostgreSQL of a test's own, for fault tests that must let a database die without touching the
// shared server. Uses this machine's server binaries; the server refuses to run as root, so initdb
// and postgres run as the `postgres` OS user in a temp dir it owns.
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = serverBinDir()
  const user = postgresUser()
  const base = mkdtempSync(join(tmpdir(), 'taskflow-pg-'))
  chownSync(base, user.uid, user.gid)
  const dataDir = join(base, 'data')
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    {
      uid: user.uid,
      gid: user.gid,
      stdio: 'ignore',
      env: { ...process.env, LC_ALL: 'C' },
    },
  )
  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let postmaster: ChildProcess | undefined
  let output = ''

  const killOnExit = () => postmaster?.kill('SIGKILL')
  process.once('exit', killOnExit)

  function launch(): ChildProcess {
    output = ''
    const child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-h',
        '127.0.0.1',
        '-k',
        base,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
      ],
      { uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    return child
  }

  async function start(): Promise<void> {
    if (postmaster && isRunning(postmaster)) return
    // After a SIGKILL the old backends may still hold shared memory for a moment: retry the launch.
    for (let attempt = 1; ; attempt++) {
      const child = launch()
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const attemptOver = { value: false }
      const ready = await Promise.race([
        waitUntilAccepting(url, attemptOver).then(() => true),
        exited.then(() => false),
      ])
      attemptOver.value = true
      if (ready) {
        postmaster = child
        return
      }
      if (attempt >= 20) throw new Error(`private postgres did not start: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async function signal(name: NodeJS.Signals, withBackends = false): Promise<void> {
    const child = postmaster
    if (!child || !isRunning(child) || child.pid === undefined) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    // Backends call setsid(), so a process-group kill misses them, and a backend that outlives its
    // postmaster can still answer a query. A crash takes them all: kill each one with it.
    const backends = withBackends ? childPids(child.pid) : []
    child.kill(name)
    for (const pid of backends) process.kill(pid, name)
    await exited
  }

  await start()
  return {
    url,
    port,
    start,
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGKILL', true),
    async destroy() {
      await signal('SIGINT')
      process.removeListener('exit', killOnExit)
      rmSync(base, { recursive: true, force: true })
    },
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number)
  } catch {
    return [] // pgrep exits 1 when there are none
  }
}

function isRunning(child: ChildProcess): boolean {
  // A process ended by a signal keeps exitCode null: both must be checked.
  return child.exitCode === null && child.signalCode === null
}

function serverBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}`)
  return join(root, versions[0]!, 'bin')
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return { uid, gid }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

async function waitUntilAccepting(url: string, giveUp: { value: boolean }): Promise<void> {
  while (!giveUp.value) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    try {
      await client.connect()
      await client.query('select 1')
      await client.end()
      return
    } catch {
      await client.end().catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
