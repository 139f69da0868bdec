import { Readable } from 'node:stream'
import fc from 'fast-check'
import { type Dispatcher, Pool, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { taskListSchema, taskSchema } from '../../../api/src/tasks/task-schemas.ts'
import { type ApiProcess, startApiProcess } from '../../support/api-process.ts'
import { apiRoutes } from '../../support/api-routes.ts'
import {
  type RunningFunction,
  runtimeLogNoise,
  startFunctionProcess,
} from '../../support/function-process.ts'
import { postBinary } from '../../support/function-runtime.ts'
import { fuzzRuns, fuzzSeed, Tally } from '../../support/fuzzing.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { taskCreated } from '../../support/task-events.ts'
import { type FuzzCase, type FuzzWorld, fuzzCase, users } from './bad-input-cases.ts'

// Property-based fuzzing of every route of the Task API (read from its router, so a new route is
// fuzzed the day it is added), through every input channel, against the API running as its own
// process on a PostgreSQL database of its own, with the audit-log and notification-fanout functions
// behind the routes it forwards. Client input must never get a 5xx nor crash the process; every 4xx
// is RFC 9457 problem+json naming the field; every 2xx body is what the OpenAPI schemas say.
//
// The seed is printed; FUZZ_SEED=<seed> replays a run, FUZZ_RUNS sets the number of cases (never below the minimum).

const minimumCases = 5_000
const runs = fuzzRuns(minimumCases)
const seed = fuzzSeed()
const bodyLimit = '100kb'
const bodyLimitBytes = 100 * 1024

// The errors extension member: the API names it `reason`, the functions behind the forwarded routes
// `message`; either way the field is named.
const fieldErrorSchema = z
  .object({ field: z.string().min(1) })
  .and(z.union([z.object({ reason: z.string().min(1) }), z.object({ message: z.string().min(1) })]))
const problemJsonSchema = z.object({
  type: z.string().min(1),
  title: z.string().min(1),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(fieldErrorSchema).optional(),
})

type Answer = { status: number; headers: Record<string, string>; text: string }

/** Sends the case as it is: through a Pool, so the path is not normalised (`%2e%2e`, `..` stay). */
async function send(pool: Pool, fuzz: FuzzCase): Promise<Answer> {
  const body = fuzz.body === undefined ? undefined : fuzz.chunked ? Readable.from([fuzz.body]) : fuzz.body
  const response = await pool.request({
    path: fuzz.path,
    method: fuzz.method as Dispatcher.HttpMethod,
    headers: fuzz.headers,
    body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  })
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  // A live Server-Sent Events stream never ends: its status and headers are the answer.
  if (headers['content-type']?.startsWith('text/event-stream')) {
    response.body.on('error', () => {}).destroy()
    return { status: response.statusCode, headers, text: '' }
  }
  return { status: response.statusCode, headers, text: await response.body.text() }
}

const forwardedRoutes = new Set([
  '/audit',
  '/tasks/:id/audit',
  '/notifications',
  '/notifications/stream',
  '/notifications/preferences',
  '/notifications/:id/read',
])

/** The invariants every answer to client input holds, whatever the input was. */
function expectWellFormed(fuzz: FuzzCase, answer: Answer): void {
  const { status, headers, text } = answer
  const withBody = fuzz.method !== 'HEAD'
  expect([2, 4], `status ${status}`).toContain(Math.floor(status / 100))
  // Authentication (401) and a path that does not decode (400) come before the method check.
  if (fuzz.allowed !== undefined && status !== 401 && status !== 400) {
    expect(status, 'a method the route does not have').toBe(405)
    expect((headers.allow ?? '').split(', ').sort()).toEqual([...fuzz.allowed].sort())
  }
  if (status >= 400) {
    expect(headers['content-type'] ?? '').toMatch(/^application\/problem\+json/)
    if (!withBody) return
    const problem = problemJsonSchema.parse(JSON.parse(text))
    expect(problem.status).toBe(status)
    if (problem.type.endsWith('/validation') || problem.type.endsWith('/malformed-json'))
      expect(problem.errors?.length, 'a validation problem names the field').toBeGreaterThan(0)
    if (status === 415) expect(problem.errors?.length).toBeGreaterThan(0)
    if (fuzz.family === 'oversized headers') expect(status).toBe(431)
    else if (fuzz.family.startsWith('oversized')) expect(status).toBe(413)
    if (status === 413) expect(problem.errors?.map((error) => error.field)).toEqual(['body'])
    return
  }
  if (fuzz.family.startsWith('oversized')) expect.fail(`a case of ${fuzz.family} got ${status}`)
  if (!withBody || !fuzz.exact || forwardedRoutes.has(fuzz.route)) return
  if (fuzz.route === '/tasks' && fuzz.method === 'GET') {
    taskListSchema.parse(JSON.parse(text))
  } else if (fuzz.route.startsWith('/tasks') && ['GET', 'POST', 'PATCH'].includes(fuzz.method)) {
    const task = taskSchema.parse(JSON.parse(text))
    expect(headers.etag).toBe(`"${task.version}"`)
  }
}

const available = await postgresAvailable()

describe.skipIf(!available)('Task API process under fuzzed client input', () => {
  const databases: TestDatabase[] = []
  const functions: RunningFunction[] = []
  let api: ApiProcess
  let pool: Pool
  let world: FuzzWorld

  async function database(): Promise<string> {
    const created = await createTestDatabase()
    databases.push(created)
    return created.url
  }

  beforeAll(async () => {
    const [auditLog, notifications] = await Promise.all([
      database().then((url) => startFunctionProcess('audit-log', { DATABASE_URL: url })),
      database().then((url) => startFunctionProcess('notification-fanout', { DATABASE_URL: url })),
    ])
    functions.push(auditLog, notifications)
    api = await startApiProcess({
      DATABASE_URL: await database(),
      LOG_LEVEL: 'warn',
      BODY_LIMIT: bodyLimit,
      AUDIT_LOG_URL: auditLog.url,
      NOTIFICATIONS_URL: notifications.url,
    })
    pool = new Pool(api.url, { connections: 4 })
    world = { routes: apiRoutes(), taskIds: await seedTasks(), bodyLimitBytes }
  })

  afterAll(async () => {
    await pool?.destroy()
    await api?.stop()
    await Promise.all(functions.map((running) => running.stop()))
    await Promise.all(databases.map((created) => created.drop()))
  })

  /** Tasks of alice that bob and carol also see, each with an audit trail and notifications. */
  async function seedTasks(): Promise<string[]> {
    const ids: string[] = []
    for (let index = 0; index < 12; index++) {
      const response = await request(`${api.url}/tasks`, {
        method: 'POST',
        headers: { authorization: 'Bearer dev.alice', 'content-type': 'application/json' },
        body: JSON.stringify({
          title: `seeded ${index}`,
          assignee: index % 2 === 0 ? 'bob' : null,
          watchers: index % 3 === 0 ? ['carol'] : [],
          tags: ['backend'],
          dueAt: '2030-01-01T00:00:00Z',
        }),
      })
      expect(response.statusCode).toBe(201)
      const task = taskSchema.parse(await response.body.json())
      ids.push(task.id)
      for (const running of functions) {
        const delivered = await postBinary(running.url, taskCreated(task))
        await delivered.body.dump()
        expect(delivered.statusCode).toBe(200)
      }
    }
    return ids
  }

  it(`answers ${minimumCases}+ fuzzed requests on every route with 2xx or a 4xx problem, never a 5xx`, {
    timeout: 600_000,
  }, async () => {
    const routes = world.routes.map((route) => route.path)
    expect(routes).toEqual(expect.arrayContaining(['/tasks', '/tasks/:id', '/audit', '/notifications']))
    const openapi = (await (await request(`${api.url}/openapi.json`)).body.json()) as {
      paths: Record<string, unknown>
    }
    // Every documented path is a route of the router, so fuzzing the router covers the documentation.
    for (const documented of Object.keys(openapi.paths))
      expect(routes).toContain(documented.replace(/\{(\w+)\}/g, ':$1'))

    const byFamily = new Tally()
    const byRoute = new Tally()
    const byStatus = new Tally()
    console.info(`[api fuzz] seed ${seed} (FUZZ_SEED=${seed} replays this run), ${runs} runs`)
    const startedAt = performance.now()
    await fc.assert(
      fc.asyncProperty(fuzzCase(world), async (fuzz) => {
        const answer = await send(pool, fuzz)
        expectWellFormed(fuzz, answer)
        byStatus.add(answer.status)
        byFamily.add(fuzz.family)
        byRoute.add(`${fuzz.route} ${fuzz.method}`)
      }),
      { numRuns: runs, seed },
    )
    const seconds = (performance.now() - startedAt) / 1000
    const cases = byFamily.total
    console.info(
      `[api fuzz] ${cases} cases in ${seconds.toFixed(1)} s (${Math.round(cases / seconds)}/s)\n` +
        `  by family: ${byFamily}\n  by status: ${byStatus}\n  by route: ${byRoute}`,
    )

    expect(cases).toBeGreaterThanOrEqual(minimumCases)
    for (const route of world.routes) {
      for (const method of route.methods)
        expect(byRoute.get(`${route.path} ${method}`), `${method} ${route.path}`).toBeGreaterThan(10)
    }
    for (const family of [
      'near-valid body',
      'arbitrary JSON body',
      'arbitrary bytes body',
      'oversized body',
      'oversized chunked body',
      'oversized headers',
    ])
      expect(byFamily.get(family), family).toBeGreaterThan(10)
  })

  it('is still alive and ready afterwards, and logged no error caused by client input', async () => {
    expect(api.alive()).toBe(true)
    for (const probe of ['/healthz', '/readyz']) {
      const response = await request(`${api.url}${probe}`)
      await response.body.dump()
      expect(response.statusCode, probe).toBe(200)
    }
    expect(api.output.faults()).toEqual([])
    for (const running of functions) {
      expect(running.alive(), running.name).toBe(true)
      expect(running.output.faults(runtimeLogNoise), running.name).toEqual([])
    }
  })

  it('stored nothing it cannot read back: every page of every user parses with the Task schema', async () => {
    for (const user of users) {
      let cursor: string | null = null
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`
        const response = await request(`${api.url}/tasks?limit=100${query}`, {
          headers: { authorization: `Bearer dev.${user}` },
        })
        expect(response.statusCode).toBe(200)
        const page = taskListSchema.parse(await response.body.json())
        cursor = page.nextCursor
      } while (cursor !== null)
    }
  })
})
