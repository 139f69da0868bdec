import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpCodec } from '../../../events/src/index.ts'
import { repoRoot } from '../../support/schemas.ts'
import { taskCreated, taskSnapshot } from '../../unit/functions/task-events.ts'

// `kn func deploy` sends only functions/notification-fanout/ to the builder (knative/func#1880):
// this test does what the buildpack does with a copy of that folder ALONE: `npm install` from the
// registry, `npm run build`, `npm start`, then one CloudEvent, a read and a live stream. Without
// DATABASE_URL the function opens an embedded PGlite; without SMTP_URL emails are only recorded.

const run = promisify(execFile)
const functionDir = join(repoRoot, 'functions', 'notification-fanout')

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

describe('notification-fanout folder copied alone', () => {
  let workDir: string
  let child: ChildProcess | undefined
  let output = ''

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'notification-fanout-alone-'))
    await cp(functionDir, workDir, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|build|\.data)([/\\]|$)/.test(source.slice(functionDir.length)),
    })
  })
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      // npm start runs sh, which runs node: end the whole process group this test started.
      process.kill(-child.pid, 'SIGTERM')
      await new Promise((resolve) => child?.once('exit', resolve))
    }
    await rm(workDir, { recursive: true, force: true })
  })

  it('installs from the registry, builds, starts, fans out a CloudEvent and streams it', {
    timeout: 600_000,
  }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_workspaces: 'false' }
    delete env.DATABASE_URL
    delete env.K_SINK
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
    // Knative sets PORT; faas-js-runtime's CLI reads FUNC_PORT, so a test on another port sets both.
    child = spawn('npm', ['start'], {
      cwd: workDir,
      env: { ...env, PORT: String(port), FUNC_PORT: String(port), LOG_LEVEL: 'warn', STREAM_POLL_MS: '100' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    const base = `http://127.0.0.1:${port}`
    await waitForReadiness(`${base}/health/readiness`, child, () => output)
    const coldStartMs = Math.round(performance.now() - startedAt)

    const auth = { authorization: 'Bearer dev.bob' }
    const stream = await request(`${base}/?view=stream`, { headers: auth })
    expect(stream.statusCode).toBe(200)

    const event = taskCreated(taskSnapshot({ assignee: 'bob' }))
    const message = httpCodec.encode(event, { mode: 'binary' })
    const response = await request(`${base}/`, {
      method: 'POST',
      headers: message.headers,
      body: message.body,
    })
    expect(response.statusCode, output).toBe(200)
    expect(await response.body.json()).toMatchObject({ recipients: ['bob', 'carol'] })

    let text = ''
    for await (const chunk of stream.body) {
      text += chunk.toString()
      if (text.includes('event: notification')) break
    }
    stream.body.destroy()
    expect(text).toContain(event.id)

    const list = await request(`${base}/?view=list`, { headers: auth })
    expect(list.statusCode).toBe(200)
    expect(((await list.body.json()) as { notifications: unknown[] }).notifications).toHaveLength(1)
    // Figures for the report, not assertions (no timed assertions: bench/ holds performance goals).
    console.info(
      `[notification-fanout alone] cold start to readiness ${coldStartMs} ms (npm start, embedded PGlite)`,
    )
  })
})
