import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { SignJWT } from 'jose'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readLocalConfig } from '../../../local/src/config.ts'
import { type LocalSystem, startLocalSystem } from '../../../local/src/system.ts'
import { eventually } from '../../support/eventually.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { type DatabaseProxy, proxyDatabaseUrl } from '../../support/tcp-proxy.ts'

// The whole local system (`npm start`'s composition: Task API, KafkaSources, the three functions as
// faas-js-runtime processes) on PostgreSQL reached with a password in DATABASE_URL, in JWT mode, every
// log captured at trace level: the system's own logger (a pino destination) and every line the function
// processes print. It is driven through requests carrying bearer tokens (valid, expired, forged),
// webhook preferences with secrets and deliveries that fail (a receiver answering 500, a refused private
// address, an SMTP server reached with a password that is down), and a database outage; then no captured
// line may hold a password, the HS256 secret, a token or a webhook secret. The system's logger here has
// no redaction: the test proves nothing logs them, not that pino hides them.

const hasPostgres = await postgresAvailable()
const unique = () => randomBytes(12).toString('hex')

const secrets = {
  databasePassword: `db-password-${unique()}`,
  jwtSecret: `jwt-secret-${unique()}-${unique()}`,
  webhookSecret: `webhook-secret-${unique()}`,
  standardWebhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  webhookUrlToken: `url-token-${unique()}`,
  smtpPassword: `smtp-password-${unique()}`,
}

describe.skipIf(!hasPostgres)('secrets never reach the logs', () => {
  const lines: string[] = []
  const tokens: Record<string, string> = {}
  let database: TestDatabase
  let proxy: DatabaseProxy
  let system: LocalSystem
  let failingHook: Server & { attempts: number }

  const sign = (user: string, key = secrets.jwtSecret, expiresAt: number | string = '10m') =>
    new SignJWT({ sub: user })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(key))

  beforeAll(async () => {
    database = await createTestDatabase()
    const withPassword = new URL(database.url)
    withPassword.password = secrets.databasePassword // trust auth ignores it; the URL still carries it
    proxy = await proxyDatabaseUrl(withPassword.toString())
    expect(proxy.url).toContain(secrets.databasePassword)

    failingHook = Object.assign(
      createServer((req, res) => {
        failingHook.attempts++
        req.resume()
        req.on('end', () => res.writeHead(500).end())
      }),
      { attempts: 0 },
    )
    await new Promise<void>((resolve) => failingHook.listen(0, '127.0.0.1', resolve))

    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
        done()
      },
    })
    const config = readLocalConfig({
      PORT: '0',
      LOG_LEVEL: 'trace',
      DATABASE_URL: proxy.url,
      AUTH_JWT_SECRET: secrets.jwtSecret,
      COMMIT_INTERVAL_MS: '500',
      STATUS_INTERVAL_MS: '0',
    })
    system = await startLocalSystem(config, pino({ level: 'trace' }, capture), {
      functionOutput: (line) => lines.push(line),
      // faas-js-runtime's own logger too, and webhooks may reach the failing receiver on loopback.
      // An SMTP server that is down (port 9 on loopback refuses), reached with a password.
      functionEnv: {
        FUNC_LOG_LEVEL: 'trace',
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_URL: `smtp://mailer:${secrets.smtpPassword}@127.0.0.1:9`,
      },
    })

    tokens.alice = await sign('alice')
    tokens.bob = await sign('bob')
    tokens.carol = await sign('carol')
    tokens.expired = await sign('alice', secrets.jwtSecret, Math.floor(Date.now() / 1000) - 3600)
    tokens.forged = await sign('alice', `forged-${secrets.jwtSecret}`)
  })

  afterAll(async () => {
    proxy?.restore()
    await system?.stop()
    await new Promise((resolve) => failingHook?.close(resolve))
    await proxy?.close()
    await database?.drop()
  })

  const api = (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) =>
    fetch(new URL(path, system.url), {
      method: init.method ?? 'GET',
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? null : JSON.stringify(init.body),
    })

  /** `<recipient> <channel>` -> delivery status, for the webhook and email deliveries. */
  async function deliveryStatuses(): Promise<Map<string, string>> {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const result = await client.query(
        "select recipient, channel, status from notifications.deliveries where channel <> 'in_app'",
      )
      return new Map(
        result.rows.map((row: { recipient: string; channel: string; status: string }) => [
          `${row.recipient} ${row.channel}`,
          row.status,
        ]),
      )
    } finally {
      await client.end()
    }
  }

  it('runs the system through tokens, webhook secrets, failing deliveries and a database outage', async () => {
    // Refused credentials first: every one is a 401, and logged as such.
    tokens.garbage = `not-a-jwt-${unique()}`
    for (const token of [tokens.expired, tokens.forged, tokens.garbage]) {
      expect((await api('/tasks', token)).status).toBe(401)
      expect((await api('/notifications', token)).status).toBe(401)
    }
    expect((await api('/tasks', tokens.garbage, { method: 'POST', body: { title: 'x' } })).status).toBe(401)

    // Webhooks with secrets: bob's receiver fails (retried), carol's points at the metadata address
    // (refused) and her email goes to the SMTP server that is down (retried).
    const bobHook = `http://127.0.0.1:${(failingHook.address() as AddressInfo).port}/hooks/${secrets.webhookUrlToken}`
    const preferences = [
      ['bob', { webhook: { url: bobHook, secret: secrets.webhookSecret } }],
      [
        'carol',
        {
          webhook: { url: 'http://169.254.169.254/latest', secret: secrets.standardWebhookSecret },
          email: { address: 'carol@example.com' },
        },
      ],
    ] as const
    for (const [user, body] of preferences) {
      const put = await eventually(
        async () => {
          const response = await api('/notifications/preferences', tokens[user], { method: 'PUT', body })
          return response.status === 200 ? response : undefined
        },
        `${user}'s preferences saved`,
        { timeoutMs: 60_000, retryErrors: true },
      )
      expect(JSON.stringify(await put.json())).not.toContain(body.webhook.secret)
    }

    const created = await api('/tasks', tokens.alice, {
      method: 'POST',
      body: { title: 'leak hunt', assignee: 'bob', watchers: ['carol'] },
    })
    expect(created.status).toBe(201)
    const task = (await created.json()) as { id: string }
    expect((await api('/tasks', tokens.alice)).status).toBe(200)

    // Delivered through the pipeline: bob's webhook retried (500), carol's refused for good.
    await eventually(
      async () => {
        const statuses = await deliveryStatuses()
        const done =
          failingHook.attempts >= 2 &&
          statuses.get('carol webhook') === 'failed' &&
          statuses.get('carol email') === 'pending'
        return done ? statuses : undefined
      },
      "bob's webhook retried, carol's refused and her email retried",
      60_000,
    )
    // The audit-log source consumes on its own: its trail may come a little after the notifications.
    await eventually(
      async () => ((await api(`/tasks/${task.id}/audit`, tokens.bob)).status === 200 ? true : undefined),
      "bob's audit trail",
      { timeoutMs: 60_000, retryErrors: true },
    )
    expect((await api('/notifications', tokens.bob)).status).toBe(200)

    // The database falls off the network: requests fail, and the failure is logged.
    const before = lines.length
    proxy.cut()
    expect((await api('/tasks', tokens.alice)).status).toBe(503)
    expect((await api('/readyz', undefined)).status).toBe(503)
    await eventually(
      () => lines.slice(before).some((line) => /database|ECONNRESET|ECONNREFUSED|terminated/i.test(line)),
      'a logged database failure',
    )
    proxy.restore()
    await eventually(
      async () => (await api('/tasks', tokens.alice)).status === 200,
      'the API back after the outage',
      { timeoutMs: 60_000, retryErrors: true },
    )
  })

  it('the logs show what happened, and none of the secrets', () => {
    const logged = (pattern: RegExp) => lines.some((line) => pattern.test(line))
    // The exercise was logged: 401s and the 503, the webhook failures, the database URL (redacted).
    expect(logged(/"status":401/)).toBe(true)
    expect(logged(/"status":503/)).toBe(true)
    expect(logged(/\[notification-fanout[^\]]*\].*(webhook|dependency unavailable)/)).toBe(true)
    expect(logged(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/)).toBe(true)

    const forbidden: Record<string, string> = { ...secrets }
    for (const [name, token] of Object.entries(tokens)) {
      forbidden[`${name} token`] = token
      // A JWT's signature alone is as good as the token for an attacker holding the rest.
      const signature = token.split('.')[2]
      if (signature !== undefined) forbidden[`${name} token signature`] = signature
    }
    const leaks = lines.flatMap((line) =>
      Object.entries(forbidden)
        .filter(([, value]) => line.includes(value))
        .map(([name]) => `${name}: ${line.slice(0, 400)}`),
    )
    expect(leaks).toEqual([])
    expect(lines.length).toBeGreaterThan(100)
  })
})
