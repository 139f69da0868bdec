// The local Knative Serving emulation with real function processes (faas-js-runtime serving the
// slow-echo fixture). Needs no Kafka nor PostgreSQL: only Node child processes.
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import pino from 'pino'
import { request } from 'undici'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { isAlive } from '../../../../local/src/process-alive.ts'
import {
  type FunctionHost,
  type FunctionHostOptions,
  startFunctionHost,
} from '../../../../local/src/serving/function-host.ts'

const fixtureDir = join(import.meta.dirname, '..', '..', '..', 'support', 'fixtures', 'slow-echo')
const runnerScript = join(import.meta.dirname, '..', '..', '..', 'support', 'fixtures', 'host-runner.ts')
const logger = pino({ level: 'silent' })

// Short windows so a test sees whole scale cycles: zero comes after ~0.6 s stable + 0.4 s grace idle.
const fast = { tickMs: 100, stableWindowMs: 600, gracePeriodMs: 400, onOutput: () => {} }

const hosts: FunctionHost[] = []
async function host(options: Partial<FunctionHostOptions> = {}): Promise<FunctionHost> {
  const started = await startFunctionHost({ name: 'slow-echo', dir: fixtureDir, logger, ...fast, ...options })
  hosts.push(started)
  return started
}
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((started) => started.stop()))
})

interface EchoReply {
  status: number
  pid?: number
  sink?: string | null
  concurrent?: number
}
let eventId = 0
const eventHeaders = () => ({
  'ce-id': `event-${++eventId}`,
  'ce-source': '/tests/function-host',
  'ce-type': 'dev.taskflow.test',
  'ce-specversion': '1.0',
  'content-type': 'application/json',
})
const echoReply = (status: number, text: string): EchoReply => ({
  status,
  ...(status === 200 ? JSON.parse(text) : {}),
})

/** The two ways in: a POST to the activator URL, and a dispatcher of the same process calling it. */
const paths = {
  http: async (started: FunctionHost, data: { delayMs?: number } = {}) => {
    const response = await request(started.url, {
      method: 'POST',
      headers: eventHeaders(),
      body: JSON.stringify(data),
    })
    return echoReply(response.statusCode, await response.body.text())
  },
  'in-process': async (started: FunctionHost, data: { delayMs?: number } = {}) => {
    const answer = await started.invoke(
      { path: '/', headers: eventHeaders(), body: JSON.stringify(data) },
      30_000,
    )
    return echoReply(answer.status, answer.body.toString())
  },
}
type Path = keyof typeof paths
const sendEvent = paths.http

const readyCount = (started: FunctionHost) =>
  started.processes().filter((proc) => proc.state === 'ready').length

describe('function host: scale to zero and back', () => {
  beforeAll(() => {
    rmSync(join(fixtureDir, 'build'), { recursive: true, force: true })
  })

  it('runs the build script before the first start and starts no process before a request', async () => {
    const started = await host()
    expect(existsSync(join(fixtureDir, 'build', 'index.js'))).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(started.processes()).toEqual([])
  })

  it('one event starts one process, answers 2xx with the function env, then returns to zero', async () => {
    const started = await host({ prebuilt: true, env: { K_SINK: 'http://127.0.0.1:9/sink' } })
    const reply = await sendEvent(started)
    expect(reply.status).toBe(200)
    expect(reply.sink).toBe('http://127.0.0.1:9/sink')
    expect(started.processes()).toHaveLength(1)
    expect(started.coldStarts()).toHaveLength(1)
    await vi.waitFor(() => expect(started.processes()).toEqual([]), { timeout: 15_000, interval: 50 })
    expect(isAlive(reply.pid!)).toBe(false)
  })

  it.each(Object.keys(paths) as Path[])(
    'answers every request that arrives during a cold start (buffered, none fails; %s)',
    async (path) => {
      const started = await host({ prebuilt: true })
      const replies = await Promise.all(
        Array.from({ length: 25 }, () => paths[path](started, { delayMs: 20 })),
      )
      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
      expect(started.stats().rejected).toEqual({ overflow: 0, timeout: 0, shutdown: 0 })
    },
  )

  it('scales a burst of slow requests past one process, never above max-scale, then back to zero', async () => {
    // Fixture: target 2 per process at 100% utilization, max 3.
    const started = await host({ prebuilt: true })
    let mostProcesses = 0
    const watcher = setInterval(() => {
      mostProcesses = Math.max(
        mostProcesses,
        started.processes().filter((proc) => proc.state !== 'exited').length,
      )
    }, 10)
    try {
      for (let round = 0; round < 3; round++) {
        const replies = await Promise.all(
          Array.from({ length: 12 }, () => sendEvent(started, { delayMs: 400 })),
        )
        expect(replies.every((reply) => reply.status === 200)).toBe(true)
      }
    } finally {
      clearInterval(watcher)
    }
    expect(mostProcesses).toBeGreaterThan(1)
    expect(mostProcesses).toBeLessThanOrEqual(3)
    expect(started.stats().processesStarted).toBeGreaterThan(1)
    await vi.waitFor(() => expect(started.processes()).toEqual([]), { timeout: 15_000, interval: 50 })
  })
})

describe.each(Object.keys(paths) as Path[])('function host: limits (%s)', (path) => {
  const sendEvent = paths[path]
  it('never gives a process more than containerConcurrency requests at once', async () => {
    const started = await host({ prebuilt: true, containerConcurrency: 1, scale: { max: 2 } })
    const replies = await Promise.all(Array.from({ length: 8 }, () => sendEvent(started, { delayMs: 50 })))
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
    expect(replies.map((reply) => reply.concurrent)).toEqual(replies.map(() => 1))
  })

  it('answers 503 to a buffered request once no process could take it in time', async () => {
    const started = await host({ prebuilt: true, entry: 'no-such-build.js', bufferTimeoutMs: 300 })
    expect((await sendEvent(started)).status).toBe(503)
    expect(started.stats().rejected.timeout).toBe(1)
  })

  it('answers 503 at once when the activator buffer is full', async () => {
    const started = await host({
      prebuilt: true,
      entry: 'no-such-build.js',
      bufferTimeoutMs: 2_000,
      maxBufferedRequests: 1,
    })
    const [first, second] = await Promise.all([sendEvent(started), sendEvent(started)])
    expect([first?.status, second?.status]).toEqual([503, 503])
    expect(started.stats().rejected).toMatchObject({ overflow: 1, timeout: 1 })
  })
})

describe('function host: in-process callers', () => {
  it('a caller that times out gives its request up, as a closed connection does', async () => {
    const started = await host({ prebuilt: true, entry: 'no-such-build.js', bufferTimeoutMs: 10_000 })
    const call = started.invoke({ path: '/', headers: eventHeaders(), body: '{}' }, 300)
    await expect(call).rejects.toThrow('no answer from slow-echo within 300 ms')
    expect(started.stats()).toMatchObject({ buffered: 0, requests: 1, responses: 1 })
  })

  it('answers 503 once the host is stopping', async () => {
    const started = await host({ prebuilt: true })
    await started.stop()
    const answer = await started.invoke({ path: '/', headers: eventHeaders(), body: '{}' }, 1_000)
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.body.toString())).toMatchObject({ detail: 'the function host is stopping' })
  })
})

describe.each(Object.keys(paths) as Path[])('function host: failures (%s)', (path) => {
  const sendEvent = paths[path]
  it('replaces a killed process and keeps answering', async () => {
    const started = await host({ prebuilt: true, scale: { min: 1 } })
    await vi.waitFor(() => expect(readyCount(started)).toBe(1), { timeout: 15_000, interval: 20 })
    const victim = started.processes()[0]!.pid!
    process.kill(victim, 'SIGKILL')
    await vi.waitFor(
      () =>
        expect(
          started.processes().filter((proc) => proc.state === 'ready' && proc.pid !== victim),
        ).toHaveLength(1),
      { timeout: 15_000, interval: 20 },
    )
    const reply = await sendEvent(started)
    expect(reply.status).toBe(200)
    expect(reply.pid).not.toBe(victim)
    expect(started.stats().processesCrashed).toBe(1)
  })

  it('fails the in-flight requests of a process that dies with 502, which the dispatcher retries', async () => {
    const started = await host({ prebuilt: true, scale: { min: 1 } })
    await vi.waitFor(() => expect(readyCount(started)).toBe(1), { timeout: 15_000, interval: 20 })
    const victim = started.processes()[0]!.pid!
    const slow = sendEvent(started, { delayMs: 10_000 })
    await vi.waitFor(() => expect(started.processes()[0]?.inFlight).toBe(1), { timeout: 5_000, interval: 10 })
    process.kill(victim, 'SIGKILL')
    expect((await slow).status).toBe(502)
    expect(started.stats().proxyErrors).toBe(1)
  })
})

describe('function host: no orphan processes', () => {
  it('stop() ends every process', async () => {
    const started = await host({ prebuilt: true, scale: { min: 2 } })
    await vi.waitFor(() => expect(readyCount(started)).toBe(2), { timeout: 15_000, interval: 20 })
    const pids = started.processes().map((proc) => proc.pid!)
    await started.stop()
    expect(pids.filter(isAlive)).toEqual([])
  })

  it('function processes exit when their host process is SIGKILLed', async () => {
    const runner = spawn(process.execPath, [runnerScript], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: runner.stdout }).once('line', resolve)
        runner.once('exit', (code) => reject(new Error(`host runner exited with ${code}`)))
      })
      const { pids } = JSON.parse(firstLine) as { pids: number[] }
      expect(pids.length).toBe(1)
      expect(pids.every(isAlive)).toBe(true)
      runner.kill('SIGKILL')
      await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 10_000, interval: 50 })
    } finally {
      runner.kill('SIGKILL')
    }
  })
})
