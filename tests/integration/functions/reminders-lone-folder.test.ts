import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CloudEventRecord, httpCodec } from '../../../events/src/index.ts'
import { repoRoot } from '../../support/schemas.ts'
import { taskCreated, taskSnapshot } from '../../unit/functions/task-events.ts'

// `kn func deploy` sends only functions/reminders/ to the builder (knative/func#1880): this test
// does what the buildpack does with a copy of that folder ALONE, far from the monorepo: `npm install`
// from the registry, `npm run build`, `npm start`, then a task event and a PingSource tick. Without
// DATABASE_URL the function opens an embedded PGlite; K_SINK points at a sink in this test.

const run = promisify(execFile)
const functionDir = join(repoRoot, 'functions', 'reminders')

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitForReadiness(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // Bounded: 600 tries 100 ms apart; fails with the function's output if it never gets ready.
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`function exited with ${child.exitCode}:\n${output()}`)
    try {
      const response = await request(url)
      await response.body.dump()
      if (response.statusCode === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`function never became ready:\n${output()}`)
}

describe('reminders folder copied alone', () => {
  let workDir: string
  let child: ChildProcess | undefined
  let output = ''
  let sink: Server
  let sinkUrl: string
  const accepted: CloudEventRecord[] = []

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'reminders-alone-'))
    await cp(functionDir, workDir, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|build|\.data)([/\\]|$)/.test(source.slice(functionDir.length)),
    })
    sink = createHttpServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const decoded = httpCodec.decode({ headers: req.headers, body: Buffer.concat(chunks) })
        if (decoded.ok) accepted.push(decoded.value)
        res.writeHead(decoded.ok ? 202 : 400).end()
      })
    })
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
    const address = sink.address()
    if (address === null || typeof address === 'string') throw new Error('sink has no port')
    sinkUrl = `http://127.0.0.1:${address.port}/`
  })
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      // npm start runs sh, which runs node: end the whole process group this test started.
      process.kill(-child.pid, 'SIGTERM')
      await new Promise((resolve) => child?.once('exit', resolve))
    }
    sink?.closeAllConnections()
    await new Promise((resolve) => sink?.close(resolve))
    await rm(workDir, { recursive: true, force: true })
  })

  it('installs from the registry, builds, starts, schedules a reminder and emits it on a tick', {
    timeout: 600_000,
  }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_workspaces: 'false' }
    delete env.DATABASE_URL
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: workDir,
      env,
      timeout: 480_000,
    })
    await run('npm', ['run', 'build'], { cwd: workDir, env })
    const built = await readFile(join(workDir, 'build', 'index.js'), 'utf8')
    expect(built).not.toMatch(/from ["']\.\.\/\.\.\//)

    const port = await freePort()
    const startedAt = performance.now()
    // Knative sets PORT; faas-js-runtime's CLI reads FUNC_PORT (default 8080, Knative's PORT), so
    // a test on another port sets both. K_SINK is what the SinkBinding would inject.
    child = spawn('npm', ['start'], {
      cwd: workDir,
      env: { ...env, PORT: String(port), FUNC_PORT: String(port), LOG_LEVEL: 'warn', K_SINK: sinkUrl },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    await waitForReadiness(`http://127.0.0.1:${port}/health/readiness`, child, () => output)
    const coldStartMs = Math.round(performance.now() - startedAt)

    const task = taskSnapshot({ remindAt: new Date(Date.now() - 60_000).toISOString() })
    const created = httpCodec.encode(taskCreated(task), { mode: 'binary' })
    const scheduled = await request(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: created.headers,
      body: created.body,
    })
    expect(scheduled.statusCode, output).toBe(200)
    expect(await scheduled.body.json()).toMatchObject({ taskId: task.id, result: 'applied' })

    const tick = httpCodec.encode(
      {
        specversion: '1.0',
        id: 'tick-1',
        source: '/apis/v1/namespaces/taskflow/pingsources/reminders-tick',
        type: 'dev.knative.sources.ping',
        datacontenttype: 'application/json',
        data: { action: 'tick' },
      },
      { mode: 'binary' },
    )
    const ticked = await request(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: tick.headers,
      body: tick.body,
    })
    expect(ticked.statusCode, output).toBe(200)
    expect(await ticked.body.json()).toMatchObject({ fired: 1 })
    expect(accepted.map((event) => [event.type, (event.data as { taskId: string }).taskId])).toEqual([
      ['dev.taskflow.reminder.due', task.id],
    ])
    // Figures for the report, not assertions (no timed assertions: bench/ holds performance goals).
    console.info(`[reminders alone] cold start to readiness ${coldStartMs} ms (npm start, embedded PGlite)`)
  })
})
