// Builds a Task API on a test database (PGlite or PostgreSQL from describeEachDatabase) and talks to
// it over a real socket with undici, as a client would.

import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'
import { pino } from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, expect } from 'vitest'
import { createApp } from '../../api/src/app.ts'
import { loadConfig } from '../../api/src/config.ts'
import type { TasksDatabase } from '../../api/src/database.ts'
import type { FunctionReadTargets } from '../../api/src/function-reads.ts'
import { createApiMetrics } from '../../api/src/metrics.ts'
import { readOutboxBacklog } from '../../api/src/outbox/outbox-backlog.ts'
import { createOutboxRelay, type OutboxRelay } from '../../api/src/outbox/outbox-relay.ts'
import type { OutboxRecord, Publisher } from '../../api/src/outbox/publisher.ts'
import { migrationsFolder, type RunningApi, startApi } from '../../api/src/start-api.ts'
import { type DatabaseHandle, migrate, openDatabase } from '../../db/src/index.ts'
import { type AuthSettings, createBearerVerifier } from '../../platform/src/auth/index.ts'
import { eventually as waitFor } from './eventually.ts'
import type { TestBackend } from './postgres.ts'

// biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
export type ApiResponse = { status: number; headers: Record<string, string>; body: any; text: string }

export type RequestOptions = {
  user?: string | null
  body?: unknown
  rawBody?: string | Buffer
  headers?: Record<string, string>
}

export type Harness = {
  url: string
  /** The express app under test (its router is where the routes are enumerated from). */
  app: Express
  database: DatabaseHandle<TasksDatabase>
  relay: OutboxRelay | undefined
  call(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>
  close(): Promise<void>
}

export const silentLogger = pino({ level: 'silent' })

export async function openMigratedDatabase(url: string): Promise<DatabaseHandle<TasksDatabase>> {
  const database = await openDatabase<TasksDatabase>({ url, applicationName: 'api-tests', poolMax: 5 })
  await migrate(database.db, { schema: 'tasks', folder: migrationsFolder })
  return database
}

export async function startHarness(options: {
  databaseUrl: string
  publisher?: Publisher
  auth?: AuthSettings
  bodyLimit?: string
  /** Where the functions' read routes are forwarded (absent: they answer 503). */
  functionReads?: FunctionReadTargets
}): Promise<Harness> {
  const database = await openMigratedDatabase(options.databaseUrl)
  const metrics = createApiMetrics({ outboxBacklog: () => readOutboxBacklog(database.db) })
  const relay =
    options.publisher === undefined
      ? undefined
      : createOutboxRelay({
          db: database.db,
          publisher: options.publisher,
          logger: silentLogger,
          pollIntervalMs: 50,
          backoff: { initialMs: 20, maxMs: 200 },
          observer: metrics.relayObserver,
        })
  relay?.start()
  const app = createApp({
    db: database.db,
    prepare: database.prepared,
    pingDatabase: () => database.ping(),
    verifier: createBearerVerifier(options.auth ?? { mode: 'development' }),
    logger: silentLogger,
    metrics,
    ...(relay === undefined ? {} : { relay }),
    taskEventsTopic: 'task-events',
    eventSource: '/taskflow/api',
    bodyLimit: options.bodyLimit ?? '100kb',
    ...(options.functionReads === undefined ? {} : { functionReads: options.functionReads }),
  })
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    app,
    database,
    relay,
    call: (method, path, requestOptions = {}) => call(url, method, path, requestOptions),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await relay?.stop()
      await database.close()
    },
  }
}

/**
 * A harness on the suite's backend, started in beforeAll and closed in afterAll. The returned
 * object stands for it inside tests and hooks (its fields read the started harness).
 */
export function useHarness(backend: TestBackend, options: { publisher?: Publisher } = {}): Harness {
  let started: Harness | undefined
  beforeAll(async () => {
    started = await startHarness({ databaseUrl: backend.url, ...options })
  })
  afterAll(async () => {
    await started?.close()
  })
  const harness = () => {
    if (started === undefined) throw new Error('the harness is not started yet (use it inside tests)')
    return started
  }
  return {
    get url() {
      return harness().url
    },
    get app() {
      return harness().app
    },
    get database() {
      return harness().database
    },
    get relay() {
      return harness().relay
    },
    call: (method, path, requestOptions) => harness().call(method, path, requestOptions),
    close: () => harness().close(),
  }
}

/**
 * The Task API, started as production starts it (startApi from a config) on loopback, quiet, with
 * `env` on top: DATABASE_URL, KAFKA_BROKERS, OUTBOX_* ... `publisher` replaces Kafka.
 */
export function startTestApi(env: Record<string, string>, publisher?: Publisher): Promise<RunningApi> {
  const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env })
  return startApi(config, { logger: silentLogger, ...(publisher === undefined ? {} : { publisher }) })
}

/** The Task API as `npm start` runs it with no DATABASE_URL: startApi on an in-memory PGlite. */
export function startEmbeddedApi(publisher: Publisher): Promise<RunningApi> {
  const config = loadConfig({
    PGLITE_DATA_DIR: 'memory://',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
  })
  return startApi(config, { logger: silentLogger, publisher })
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers }
  const user = options.user === undefined ? 'alice' : options.user
  if (user !== null) headers.authorization ??= `Bearer dev.${user}`
  let body: string | Buffer | undefined = options.rawBody
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const response = await request(`${base}${path}`, { method: method as 'GET', headers, body })
  const text = await response.body.text()
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value
  }
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.statusCode, headers: flat, body: parsed, text }
}

/** A 4xx/5xx answered as RFC 9457 problem+json with `status`, naming `field` among its errors if given. */
export function expectProblem(response: ApiResponse, status: number, field?: string): void {
  expect(response.status).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) })
  if (field !== undefined) {
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field)
  }
}

/** A publisher that keeps what it was given, in order; `down` makes every publish fail like a dead broker. */
export function recordingPublisher(): Publisher & {
  records: Array<OutboxRecord & { topic: string }>
  down: boolean
} {
  const state = {
    records: [] as Array<OutboxRecord & { topic: string }>,
    down: false,
    async publish(topic: string, records: readonly OutboxRecord[]) {
      if (state.down) throw new Error('broker unreachable (test)')
      for (const record of records) state.records.push({ topic, ...record })
    },
  }
  return state
}

/** Polls `read` until `done` holds. */
export function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  return waitFor(async () => {
    const value = await read()
    return done(value) ? { value } : undefined
  }, 'a condition of the API test').then((held) => held.value)
}
