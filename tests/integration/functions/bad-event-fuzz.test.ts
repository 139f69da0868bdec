import { Agent, request as httpRequest } from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { functionFolders } from '../../support/function-folders.ts'
import {
  type RunningFunction,
  runtimeLogNoise,
  startFunctionProcess,
} from '../../support/function-process.ts'
import { waitForReadiness } from '../../support/function-runtime.ts'
import { fuzzRuns, fuzzSeed, Tally } from '../../support/fuzzing.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { type EventCase, eventCase, maxBodyBytes } from './bad-event-cases.ts'

// Property-based fuzzing of every function folder (read from functions/, so a new function is fuzzed
// the day it is added) with CloudEvents over HTTP, binary and structured, as Knative's dispatcher
// delivers them: each function in its own faas-js-runtime process on a PostgreSQL database of its
// own, K_SINK a recording sink. Knative dead-letters a 4xx at once but retries a 5xx (and 404, 408,
// 409, 429) for the whole retry budget, holding up an ordered partition behind a poison event: so a
// bad event must get a non-retried 4xx with a reason, a valid one a 2xx, and the process must live.
//
// The seed is printed; FUZZ_SEED=<seed> replays a run, FUZZ_RUNS sets the number of cases (never below the minimum).

const minimumCasesPerFunction = 1_000
// Twice the minimum: ~5 s a function on a quiet two-core machine.
const runs = fuzzRuns(minimumCasesPerFunction, 2 * minimumCasesPerFunction)
const seed = fuzzSeed()
// The statuses Knative's dispatcher retries besides 5xx (eventing's delivery spec).
const retriedClientErrors = [404, 408, 409, 429]

type Answer = { status: number; contentType: string; text: string }

/**
 * POSTs the case with node:http, which hands over an answer that arrives before the body is sent
 * (undici fails the whole request on the write error). A body over the runtime's limit goes on a
 * connection of its own: fastify answers it 413 and closes the connection without reading the body,
 * and a close with unread data is a reset, which can beat the 413 to the client. Such a reset is
 * answered as status 0, allowed for those bodies only. A kept-alive connection the runtime closed
 * after its previous answer (fastify's own 431 does not say `Connection: close`) is retried once on
 * a fresh one, as an HTTP client must (the request never reached the function).
 */
function deliver(agent: Agent, url: URL, fuzz: EventCase, retry = true): Promise<Answer> {
  const oversized = fuzz.body.length > maxBodyBytes
  return new Promise((resolve, reject) => {
    let answered = false
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/',
        method: 'POST',
        agent: oversized ? false : agent,
        headers: fuzz.headers,
        timeout: 30_000,
      },
      (response) => {
        answered = true
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')))
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return
      const closed = error.code === 'ECONNRESET' || error.code === 'EPIPE'
      if (retry && request.reusedSocket && closed) resolve(deliver(agent, url, fuzz, false))
      else if (oversized && closed) resolve({ status: 0, contentType: '', text: '' })
      else reject(error)
    })
    request.end(fuzz.body)
  })
}

/** The reason of a 4xx: a problem's `detail`, or the runtime's own `message`. */
function reasonOf(answer: Answer): string | undefined {
  try {
    const body = JSON.parse(answer.text) as { detail?: unknown; message?: unknown }
    const reason = body.detail ?? body.message
    return typeof reason === 'string' ? reason : undefined
  } catch {
    return undefined
  }
}

function expectDispatcherSafe(fuzz: EventCase, answer: Answer): void {
  const { status } = answer
  if (status === 0) {
    expect(fuzz.body.length, 'a reset is only for a body over the limit').toBeGreaterThan(maxBodyBytes)
    return
  }
  expect(status, 'a 5xx would be retried for the whole retry budget').toBeLessThan(500)
  expect(retriedClientErrors, `${status} is retried by Knative like a 5xx`).not.toContain(status)
  if (fuzz.valid) expect(Math.floor(status / 100), `a valid event got ${status}: ${answer.text}`).toBe(2)
  if (status >= 400) expect(reasonOf(answer), `a ${status} without a reason`).toMatch(/\S/)
}

const names = functionFolders().map((folder) => folder.name)
const available = await postgresAvailable()

describe.skipIf(!available)('functions under fuzzed CloudEvents', () => {
  const databases: TestDatabase[] = []
  const running = new Map<string, RunningFunction>()
  let sink: RecordingSink

  beforeAll(async () => {
    sink = await startRecordingSink()
    await Promise.all(
      names.map(async (name) => {
        const database = await createTestDatabase()
        databases.push(database)
        running.set(name, await startFunctionProcess(name, { DATABASE_URL: database.url, K_SINK: sink.url }))
      }),
    )
  })

  afterAll(async () => {
    await Promise.all([...running.values()].map((fn) => fn.stop()))
    await Promise.all(databases.map((database) => database.drop()))
    await sink?.close()
  })

  it('covers every function folder', () => {
    expect(names).toEqual(expect.arrayContaining(['audit-log', 'notification-fanout', 'reminders']))
  })

  it.each(names)(
    `%s answers ${minimumCasesPerFunction}+ fuzzed deliveries with 2xx or a non-retried 4xx, never a 5xx`,
    { timeout: 600_000 },
    async (name) => {
      const fn = running.get(name)!
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      const byFamily = new Tally()
      const byStatus = new Tally()
      console.info(`[${name} fuzz] seed ${seed} (FUZZ_SEED=${seed} replays this run), ${runs} runs`)
      const startedAt = performance.now()
      try {
        await fc.assert(
          fc.asyncProperty(eventCase, async (fuzz) => {
            const answer = await deliver(agent, new URL(fn.url), fuzz)
            expectDispatcherSafe(fuzz, answer)
            byFamily.add(fuzz.family)
            byStatus.add(answer.status === 0 ? 'reset' : answer.status)
          }),
          { numRuns: runs, seed },
        )
      } finally {
        agent.destroy()
      }
      const seconds = (performance.now() - startedAt) / 1000
      console.info(
        `[${name} fuzz] ${byFamily.total} cases in ${seconds.toFixed(1)} s\n` +
          `  by family: ${byFamily}\n  by status: ${byStatus}`,
      )
      expect(byFamily.total).toBeGreaterThanOrEqual(minimumCasesPerFunction)
      expect(byFamily.get('valid event')).toBeGreaterThan(50)
    },
  )

  it('every function is still alive and ready, and logged no error but the runtime’s own', async () => {
    for (const [name, fn] of running) {
      expect(fn.alive(), name).toBe(true)
      // The runtime's probe is also its overload signal: polled until it answers 200, as Knative does.
      await waitForReadiness(`${fn.url}/health/readiness`, fn.process, () => fn.output.tail())
      expect(fn.output.faults(runtimeLogNoise), name).toEqual([])
    }
  })
})
