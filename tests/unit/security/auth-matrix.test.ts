import type { Express } from 'express'
import { SignJWT, UnsecuredJWT } from 'jose'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openApiDocument } from '../../../api/src/openapi.ts'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../../../db/src/index.ts'
import { kafkaRecordToHttpBinary } from '../../../events/src/index.ts'
import { createAuditLog } from '../../../functions/audit-log/src/audit-log.ts'
import { readAuditLogConfig } from '../../../functions/audit-log/src/config.ts'
import { readNotificationFanoutConfig } from '../../../functions/notification-fanout/src/config.ts'
import { createNotificationFanout } from '../../../functions/notification-fanout/src/notification-fanout.ts'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { createReminders } from '../../../functions/reminders/src/reminders.ts'
import { type LocalIssuer, startLocalIssuer } from '../../../local/src/auth/local-issuer.ts'
import { type ApiResponse, call, type Harness, startHarness } from '../../support/api-harness.ts'
import { routesOf as appRoutes } from '../../support/api-routes.ts'
import { apiEntry, functionEntries, runEntry } from '../../support/entry-points.ts'
import { eventually } from '../../support/eventually.ts'
import { type RuntimeServer, serveWithRuntime } from '../../support/function-runtime.ts'

// Who may call what, across the Task API (every route its express app serves, the ones it forwards to
// the functions included) and the functions' own read routes, in JWT mode (HS256, as production runs
// with AUTH_JWT_SECRET): no, expired, badly signed, unsigned or development tokens are 401 with a
// Bearer challenge everywhere but the intentionally public routes; a valid token of another user is a
// 404 on every route of a task or notification that is not theirs, and their lists and live stream
// never show it. The functions run on faas-js-runtime, fed by the API's own outbox relay.

vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 })

const secret = 'auth-matrix-hs256-secret-of-at-least-32-bytes'
const otherSecret = 'a-different-secret-of-at-least-32-bytes-too'
const key = (text: string) => new TextEncoder().encode(text)
const signed = (user: string, options: { key?: string; expiresAt?: number | string } = {}) =>
  new SignJWT({ sub: user })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? '10m')
    .sign(key(options.key ?? secret))
const anHourAgo = () => Math.floor(Date.now() / 1000) - 3600

/** Every way to not be a signed-in user; `undefined` sends no Authorization header at all. */
const refusedCredentials: [string, () => Promise<string | undefined>][] = [
  ['no token', async () => undefined],
  ['an expired token', async () => `Bearer ${await signed('alice', { expiresAt: anHourAgo() })}`],
  ['a token signed with another key', async () => `Bearer ${await signed('alice', { key: otherSecret })}`],
  ['an unsigned token (alg none)', async () => `Bearer ${new UnsecuredJWT({ sub: 'alice' }).encode()}`],
  ['a development token', async () => 'Bearer dev.alice'],
  ['a malformed header', async () => 'Basic YWxpY2U6c2VjcmV0'],
]

/** The routes anyone may call: health, metrics and the API's own description. */
const publicRoutes = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /docs']

/** The routes the API forwards to the functions: the matrix must see them in the app too. */
const forwardedRoutes = [
  'GET /tasks/:id/audit',
  'GET /audit',
  'GET /notifications',
  'GET /notifications/stream',
  'GET /notifications/preferences',
  'PUT /notifications/preferences',
  'POST /notifications/:id/read',
]

type Headers = Record<string, string | string[] | undefined>
const mediaType = (headers: Headers) => String(headers['content-type'] ?? '').split(';')[0]
/** The auth scheme of the WWW-Authenticate challenge (RFC 6750: `Bearer`, maybe with parameters). */
const challenge = (headers: Headers) => String(headers['www-authenticate'] ?? 'none').split(' ')[0]

/** `METHOD /path` of every route the express app serves, read from its router (not from a list). */
function routesOf(app: Express): string[] {
  return appRoutes(app).flatMap((route) => route.methods.map((method) => `${method} ${route.path}`))
}

type Deployed = {
  api: Harness
  database: EmbeddedPostgres
  issuer: LocalIssuer
  functions: Record<'auditLog' | 'notifications' | 'reminders', RuntimeServer & { shutdown(): Promise<void> }>
}

describe('authentication and authorisation matrix (JWT mode)', () => {
  let deployed: Deployed
  const fixture = { taskId: '', notificationId: '' }

  beforeAll(async () => {
    const database = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    // Production: the functions also check who sends them events (sender identity, one source each).
    const issuer = await startLocalIssuer()
    const source = 'system:serviceaccount:taskflow:auth-matrix-oidc-sources.knative.dev-kafkasource'
    const audience = (name: string) => `serving.knative.dev/service/taskflow/${name}`
    const envOf = (name: string) => ({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: secret,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      STREAM_POLL_MS: '50',
      EVENTS_OIDC_ISSUER: issuer.issuer,
      EVENTS_OIDC_JWKS_URL: issuer.jwksUrl,
      EVENTS_AUDIENCE: audience(name),
      EVENTS_ALLOWED_SENDERS: source,
    })
    const serve = async (fn: { init(): Promise<void>; shutdown(): Promise<void> } & object) => {
      const server = await serveWithRuntime(fn as Parameters<typeof serveWithRuntime>[0])
      return { ...server, shutdown: () => fn.shutdown() }
    }
    const functions = {
      auditLog: await serve(createAuditLog({ config: readAuditLogConfig(envOf('audit-log')) })),
      notifications: await serve(
        createNotificationFanout({ config: readNotificationFanoutConfig(envOf('notification-fanout')) }),
      ),
      reminders: await serve(createReminders({ config: readRemindersConfig(envOf('reminders')) })),
    }
    const names = { auditLog: 'audit-log', notifications: 'notification-fanout', reminders: 'reminders' }
    // The API's outbox relay publishes to "Kafka" = each function, as its KafkaSource would deliver.
    let offset = 0
    const publisher = {
      async publish(
        topic: string,
        records: readonly { key: string | null; value: Buffer; headers: Record<string, string> }[],
      ) {
        for (const record of records) {
          const message = kafkaRecordToHttpBinary(
            { ...record, topic, partition: 0, offset: String(offset++), timestamp: String(Date.now()) },
            { namespace: 'taskflow', sourceName: 'auth-matrix' },
          )
          if (!message.ok) throw new Error(`undeliverable record: ${message.error.message}`)
          for (const [key, fn] of Object.entries(functions)) {
            const token = await issuer.token(source, audience(names[key as keyof typeof names]))
            const response = await request(`${fn.url}/`, {
              method: 'POST',
              headers: { ...message.value.headers, authorization: `Bearer ${token}` },
              body: message.value.body,
            })
            await response.body.dump()
            if (response.statusCode >= 300) throw new Error(`${fn.url} answered ${response.statusCode}`)
          }
        }
      },
    }
    const api = await startHarness({
      databaseUrl: database.url,
      publisher,
      auth: { mode: 'hs256', secret },
      functionReads: { auditLog: functions.auditLog.url, notifications: functions.notifications.url },
    })
    deployed = { api, database, issuer, functions }

    const created = await as('alice', 'POST', '/tasks', { title: 'alice and bob only', assignee: 'bob' })
    expect(created.status).toBe(201)
    fixture.taskId = created.body.id
    fixture.notificationId = await notificationOf('bob', fixture.taskId)
    // Bob's webhook secret must never show to anyone else (switched off, so nothing is sent).
    const webhookOff = { webhook: false }
    const preferences = await as('bob', 'PUT', '/notifications/preferences', {
      webhook: { url: 'https://hooks.example.com/bob', secret: 'bobs-webhook-secret-value' },
      channels: {
        'task.created': webhookOff,
        'task.updated': webhookOff,
        'task.completed': webhookOff,
        'reminder.due': webhookOff,
      },
    })
    expect(preferences.status).toBe(200)
  })

  afterAll(async () => {
    await deployed?.api.close()
    for (const fn of Object.values(deployed?.functions ?? {})) {
      await fn.close()
      await fn.shutdown()
    }
    await deployed?.database.close()
    await deployed?.issuer.close()
  })

  /** A request through the API as `user` (a valid token) or with the given Authorization value. */
  async function as(
    user: string | { authorization: string | undefined },
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const authorization = typeof user === 'string' ? `Bearer ${await signed(user)}` : user.authorization
    return call(deployed.api.url, method, path, {
      user: null,
      ...(body === undefined ? {} : { body }),
      headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) },
    })
  }

  /** The id of `user`'s notification about `taskId`, once the fanout has stored it. */
  function notificationOf(user: string, taskId: string): Promise<string> {
    return eventually(async () => {
      const list = await as(user, 'GET', '/notifications')
      const found = (list.body?.notifications ?? []).find(
        (entry: { taskId: string }) => entry.taskId === taskId,
      )
      return found === undefined ? undefined : found.id
    }, `${user}'s notification about task ${taskId}`)
  }

  /** A concrete path for a route pattern: the fixture's task or notification for `:id`. */
  function pathOf(pattern: string): string {
    if (pattern.startsWith('/tasks/:id')) return pattern.replace(':id', fixture.taskId)
    if (pattern.startsWith('/notifications/:id')) return pattern.replace(':id', fixture.notificationId)
    if (pattern.includes(':')) throw new Error(`the matrix has no value for the parameters of ${pattern}`)
    return pattern
  }

  /** A body each method's route accepts from its owner, so only the caller decides the answer. */
  const bodyFor = (method: string, path: string): unknown =>
    method === 'PATCH'
      ? { title: 'taken over' }
      : method === 'POST' && path === '/tasks'
        ? { title: 't' }
        : method === 'GET' || method === 'DELETE'
          ? undefined
          : {}

  const protectedRoutes = () => routesOf(deployed.api.app).filter((route) => !publicRoutes.includes(route))

  describe('the route table', () => {
    it('comes from the app: the public routes are the intentional ones, every other one is protected', () => {
      const routes = routesOf(deployed.api.app)
      expect(routes).toEqual(expect.arrayContaining(publicRoutes))
      expect(protectedRoutes()).toEqual(expect.arrayContaining(forwardedRoutes))
      // Every documented operation is one the app serves (and so one the matrix covers).
      const documented = Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
        Object.keys(item ?? {}).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      )
      expect(routes).toEqual(expect.arrayContaining(documented))
    })

    it('the public routes answer without a token', async () => {
      for (const route of publicRoutes) {
        const [method = '', path = ''] = route.split(' ')
        expect({ route, status: (await as({ authorization: undefined }, method, path)).status }).toEqual({
          route,
          status: 200,
        })
      }
    })
  })

  describe.each(refusedCredentials)('with %s', (_label, credentials) => {
    it('every protected API route answers 401 problem+json with a Bearer challenge', async () => {
      const authorization = await credentials()
      const answers: string[] = []
      for (const route of protectedRoutes()) {
        const [method = '', pattern = ''] = route.split(' ')
        const response = await as({ authorization }, method, pathOf(pattern), bodyFor(method, pattern))
        answers.push(
          `${route} -> ${response.status} ${mediaType(response.headers)} ${challenge(response.headers)}`,
        )
      }
      expect(answers).toEqual(
        protectedRoutes().map((route) => `${route} -> 401 application/problem+json Bearer`),
      )
    })

    it('every read route of the functions answers 401 problem+json with a Bearer challenge', async () => {
      const authorization = await credentials()
      const answers: string[] = []
      for (const read of functionReads()) {
        const response = await request(read.url, {
          method: read.method,
          headers: {
            ...(authorization === undefined ? {} : { authorization }),
            ...(read.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(read.method === 'POST' ? { body: '{}' } : {}),
        })
        await response.body.dump()
        answers.push(
          `${read.name} -> ${response.statusCode} ${mediaType(response.headers)} ${challenge(response.headers)}`,
        )
      }
      expect(answers).toEqual(
        functionReads().map((read) => `${read.name} -> 401 application/problem+json Bearer`),
      )
    })
  })

  /** Each function's own read routes (README "HTTP contract"); CloudEvent POSTs are not user routes. */
  function functionReads(): { name: string; method: 'GET' | 'POST'; url: string }[] {
    const { auditLog, notifications, reminders } = deployed.functions
    return [
      { name: 'audit-log trail', method: 'GET', url: `${auditLog.url}/?task=${fixture.taskId}` },
      { name: 'audit-log search', method: 'GET', url: `${auditLog.url}/` },
      { name: 'notifications list', method: 'GET', url: `${notifications.url}/?view=list` },
      { name: 'notifications stream', method: 'GET', url: `${notifications.url}/?view=stream` },
      { name: 'preferences read', method: 'GET', url: `${notifications.url}/?view=preferences` },
      { name: 'preferences write', method: 'POST', url: `${notifications.url}/?view=preferences` },
      {
        name: 'notification mark read',
        method: 'POST',
        url: `${notifications.url}/?action=read&id=${fixture.notificationId}`,
      },
      { name: 'reminders read', method: 'GET', url: `${reminders.url}/?task=${fixture.taskId}` },
    ]
  }

  describe('a signed-in user who is not concerned', () => {
    it('gets 404 on every API route of a task or notification that is not theirs', async () => {
      const scoped = protectedRoutes().filter((route) => route.split(' ')[1]!.includes(':id'))
      expect(scoped.length).toBeGreaterThanOrEqual(6)
      const answers: string[] = []
      for (const route of scoped) {
        const [method = '', pattern = ''] = route.split(' ')
        const response = await as('mallory', method, pathOf(pattern), bodyFor(method, pattern), {
          'if-match': '"1"',
        })
        answers.push(`${route} -> ${response.status} ${mediaType(response.headers)}`)
      }
      expect(answers).toEqual(scoped.map((route) => `${route} -> 404 application/problem+json`))
      // The same reads by the people concerned succeed: the 404s are about who asks.
      expect((await as('alice', 'GET', `/tasks/${fixture.taskId}`)).status).toBe(200)
      expect((await as('bob', 'GET', `/tasks/${fixture.taskId}/audit`)).status).toBe(200)
    })

    it("gets 404 from the functions' own routes for a task or notification that is not theirs", async () => {
      const { auditLog, notifications, reminders } = deployed.functions
      const read = async (user: string, url: string, method: 'GET' | 'POST' = 'GET') => {
        const response = await request(url, {
          method,
          headers: { authorization: `Bearer ${await signed(user)}` },
        })
        await response.body.dump()
        return response.statusCode
      }
      const trail = `${auditLog.url}/?task=${fixture.taskId}`
      const reminder = `${reminders.url}/?task=${fixture.taskId}`
      const markRead = `${notifications.url}/?action=read&id=${fixture.notificationId}`
      expect([
        await read('mallory', trail),
        await read('mallory', reminder),
        await read('alice', markRead, 'POST'),
      ]).toEqual([404, 404, 404])
      expect([
        await read('alice', trail),
        await read('bob', reminder),
        await read('bob', markRead, 'POST'),
      ]).toEqual([200, 200, 204])
    })

    it('never finds what is not theirs in lists, searches or preferences', async () => {
      const tasks = await as('mallory', 'GET', '/tasks')
      expect(tasks.body.items.map((task: { id: string }) => task.id)).not.toContain(fixture.taskId)
      const audit = await as('mallory', 'GET', '/audit')
      expect(audit.status).toBe(200)
      expect(audit.body.entries.map((entry: { taskId: string }) => entry.taskId)).not.toContain(
        fixture.taskId,
      )
      const bobsAudit = await as('mallory', 'GET', '/audit?actor=alice')
      expect(bobsAudit.body.entries).toEqual([])
      const notifications = await as('mallory', 'GET', '/notifications')
      expect(notifications.body.notifications).toEqual([])
      const preferences = await as('mallory', 'GET', '/notifications/preferences')
      expect(preferences.body.webhook).toBeNull()
      expect(preferences.text).not.toContain('bobs-webhook-secret-value')
      // Bob's own view shows the webhook, never its secret.
      const own = await as('bob', 'GET', '/notifications/preferences')
      expect(own.body.webhook).toEqual({ url: 'https://hooks.example.com/bob', secretSet: true })
      expect(own.text).not.toContain('bobs-webhook-secret-value')
    })

    it("never receives another user's notification on their stream, live or replayed", async () => {
      let bobsTask = ''
      let mallorysTask = ''
      const live = await readStream('mallory', undefined, async () => {
        // Bob's notification is stored first, then mallory's: a leak would arrive before hers.
        bobsTask = (await as('alice', 'POST', '/tasks', { title: 'for bob', assignee: 'bob' })).body.id
        await notificationOf('bob', bobsTask)
        mallorysTask = (await as('alice', 'POST', '/tasks', { title: 'for mallory', assignee: 'mallory' }))
          .body.id
        return mallorysTask
      })
      expect(live).toEqual([mallorysTask])
      // From the very start of the table: still only hers.
      const replayed = await readStream('mallory', '0', async () => mallorysTask)
      expect(replayed).toEqual([mallorysTask])
      expect(bobsTask).not.toBe('')
    })
  })

  /**
   * Opens `user`'s stream through the API, runs `whenConnected` once it is open, and reads until a
   * notification about the task it names arrives; returns the task ids of every notification received.
   */
  async function readStream(
    user: string,
    lastEventId: string | undefined,
    whenConnected: () => Promise<string>,
  ): Promise<string[]> {
    const stream = await request(`${deployed.api.url}/notifications/stream`, {
      headers: {
        authorization: `Bearer ${await signed(user)}`,
        ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      },
    })
    expect(stream.statusCode).toBe(200)
    const taskIds: string[] = []
    let text = ''
    let awaited: string | undefined
    try {
      for await (const chunk of stream.body) {
        text += chunk.toString()
        if (awaited === undefined && text.includes(': connected')) awaited = await whenConnected()
        const frames = text.split('\n\n')
        text = frames.pop() ?? ''
        for (const frame of frames) {
          const data = frame.split('\n').find((line) => line.startsWith('data: '))
          if (frame.includes('event: notification') && data !== undefined)
            taskIds.push((JSON.parse(data.slice(6)) as { taskId: string }).taskId)
        }
        if (awaited !== undefined && taskIds.includes(awaited)) return taskIds
      }
    } finally {
      stream.body.destroy()
    }
    throw new Error(`the stream ended before the notification about ${awaited} arrived`)
  }
})

describe('development tokens in production', () => {
  it.each([apiEntry, ...functionEntries])(
    '%s refuses to start with NODE_ENV=production and no AUTH_JWT_SECRET or AUTH_JWKS_URL',
    (entry) => {
      const started = runEntry(entry, { NODE_ENV: 'production' })
      expect(started.status).toBe(1)
      expect(started.stderr).toContain(
        'AUTH_JWT_SECRET: production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (development tokens are refused)',
      )
    },
  )
})
