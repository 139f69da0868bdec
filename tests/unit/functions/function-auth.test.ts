import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../../api/src/config.ts'
import {
  authenticate,
  authProblem,
  ConfigError,
  createTokenVerifier,
} from '../../../function-kit/src/index.ts'
import { type AuditLogFunction, createAuditLog } from '../../../functions/audit-log/src/audit-log.ts'
import { readAuditLogConfig } from '../../../functions/audit-log/src/config.ts'
import { readNotificationFanoutConfig } from '../../../functions/notification-fanout/src/config.ts'
import {
  createNotificationFanout,
  type NotificationFanoutFunction,
} from '../../../functions/notification-fanout/src/notification-fanout.ts'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { kubectlAvailable } from '../../support/services.ts'
import { eventContext, taskCreated, taskSnapshot } from '../../support/task-events.ts'
import { renderOverlay } from '../manifests/manifest-files.ts'

type Env = Record<string, string | undefined>

// The functions check bearer tokens with the Task API's verifier (platform/src/auth/) and read the Task
// API's AUTH_* variables with its rules, so one token and one ConfigMap serve all of them.

// PGlite's first start (WASM, initdb) can outlast the unit project's hook timeout on a busy machine.
vi.setConfig({ hookTimeout: 60_000 })

const secret = 'a-function-test-secret-of-at-least-32-bytes'
const otherSecret = 'another-secret-that-is-also-32-bytes-long'
const sign = (claims: Record<string, unknown>, key = secret, expiresAt: string | number = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(key))
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const anHourAgo = () => Math.floor(Date.now() / 1000) - 3600

describe('token verifier (the Task API verifier in the kit)', () => {
  const jwt = createTokenVerifier({ mode: 'hs256', secret, issuer: 'taskflow' })
  const development = createTokenVerifier({ mode: 'development' })

  it('accepts an HS256 token signed with the secret and names the caller from sub', async () => {
    const token = await sign({ sub: 'alice', iss: 'taskflow' })
    expect(await authenticate(bearer(token), jwt)).toEqual({ ok: true, caller: { userId: 'alice' } })
  })

  it('refuses a bad signature, an expired token, a wrong issuer and a dev token in JWT mode', async () => {
    const refused = [
      await sign({ sub: 'alice', iss: 'taskflow' }, otherSecret),
      await sign({ sub: 'alice', iss: 'taskflow' }, secret, anHourAgo()),
      await sign({ sub: 'alice', iss: 'elsewhere' }),
      'dev.alice',
    ]
    for (const token of refused) {
      expect(await authenticate(bearer(token), jwt)).toMatchObject({
        ok: false,
        error: { reason: 'invalid-credentials' },
      })
    }
  })

  it('development mode accepts dev.<userId> and nothing else', async () => {
    expect(await authenticate(bearer('dev.alice'), development)).toEqual({
      ok: true,
      caller: { userId: 'alice' },
    })
    expect(await authenticate(bearer(await sign({ sub: 'alice' })), development)).toMatchObject({
      ok: false,
    })
    expect(await authenticate({}, development)).toMatchObject({
      ok: false,
      error: { reason: 'missing-credentials' },
    })
  })

  it('an unreachable key set is the server fault (503), a bad token the caller (401 + challenge)', async () => {
    // Port 1 on loopback refuses the connection: the JWKS fetch fails as it does when the IdP is down.
    const jwks = createTokenVerifier({ mode: 'jwks', jwksUrl: 'http://127.0.0.1:1/jwks.json' })
    const down = await authenticate(bearer(await sign({ sub: 'alice' })), jwks)
    expect(down).toMatchObject({ ok: false, error: { reason: 'verifier-unavailable' } })
    if (!down.ok) expect(authProblem(down.error).statusCode).toBe(503)

    const bad = await authenticate(bearer('dev.alice'), jwt)
    if (bad.ok) throw new Error('a dev token passed the JWT verifier')
    expect(authProblem(bad.error)).toMatchObject({
      statusCode: 401,
      headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' },
    })
  })
})

describe('auth settings: the functions read AUTH_* as the Task API does', () => {
  // Sender identity (EVENTS_*) is the functions' own concern, tested in event-sender.test.ts.
  const withoutSenders =
    (read: (env: Record<string, string | undefined>) => { auth: { mode: string } }) =>
    (env: Record<string, string | undefined>) =>
      read({ EVENTS_SENDER_AUTH: 'disabled', ...env })
  const readers = {
    'audit-log': withoutSenders(readAuditLogConfig),
    'notification-fanout': withoutSenders(readNotificationFanoutConfig),
    reminders: withoutSenders(readRemindersConfig),
  }
  const environments: Record<string, string | undefined>[] = [
    {},
    { NODE_ENV: 'development' },
    { AUTH_JWT_SECRET: secret },
    { AUTH_JWT_SECRET: `  ${secret}  `, AUTH_ISSUER: 'taskflow', AUTH_AUDIENCE: 'taskflow-api' },
    { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://auth.example.com/jwks.json', AUTH_ISSUER: '' },
    // Unset ConfigMap placeholders arrive as empty strings.
    { NODE_ENV: 'production', AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: '', AUTH_AUDIENCE: ' ' },
    { NODE_ENV: 'test', AUTH_JWKS_URL: 'https://auth.example.com/jwks.json', AUTH_AUDIENCE: 'taskflow' },
    // Invalid ones: both must refuse them.
    { NODE_ENV: 'production' },
    { NODE_ENV: 'production', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' },
    { AUTH_JWT_SECRET: 'too-short' },
    { AUTH_JWKS_URL: 'not a url' },
    { AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: 'https://auth.example.com/jwks.json' },
    { NODE_ENV: 'staging' },
  ]
  const apiAuth = (env: Record<string, string | undefined>) => {
    try {
      return loadConfig(env).auth
    } catch {
      return 'refused'
    }
  }

  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: the same settings as the Task API for every environment, valid or not`, () => {
      for (const env of environments) {
        let functionAuth: unknown
        try {
          functionAuth = read(env).auth
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError)
          functionAuth = 'refused'
        }
        expect({ env, auth: functionAuth }).toEqual({ env, auth: apiAuth(env) })
      }
    })

    it(`${name}: NODE_ENV=production without JWT settings fails with a config error naming the variable`, () => {
      expect(() => read({ NODE_ENV: 'production' })).toThrow(ConfigError)
      expect(() => read({ NODE_ENV: 'production' })).toThrow(
        /AUTH_JWT_SECRET: production needs AUTH_JWT_SECRET or AUTH_JWKS_URL/,
      )
    })

    it(`${name}: AUTH_MODE is not read any more`, () => {
      expect(read({ AUTH_MODE: 'jwks' }).auth).toEqual({ mode: 'development' })
      expect(read({ AUTH_MODE: 'production', AUTH_JWT_SECRET: secret }).auth.mode).toBe('hs256')
    })
  }
})

describe('a function in JWT mode', () => {
  let auditLog: AuditLogFunction
  let fanout: NotificationFanoutFunction
  const task = taskSnapshot({ createdBy: 'alice', assignee: null, watchers: [] })
  const jwtEnv = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: secret,
    EVENTS_SENDER_AUTH: 'disabled',
    PGLITE_DATA_DIR: 'memory://',
  }

  beforeAll(async () => {
    auditLog = createAuditLog({ config: readAuditLogConfig(jwtEnv) })
    fanout = createNotificationFanout({ config: readNotificationFanoutConfig(jwtEnv) })
    await Promise.all([auditLog.init(), fanout.init()])
    await auditLog.handle(eventContext, taskCreated(task, 'alice'))
  })
  afterAll(async () => {
    await auditLog?.shutdown()
    await fanout?.shutdown()
  })

  const read = (headers: Record<string, string>, query: Record<string, string>) => ({
    method: 'GET',
    headers,
    query,
  })

  it('audit-log answers a read with a token signed by the configured secret', async () => {
    const response = await auditLog.handle(
      read(bearer(await sign({ sub: 'alice' })), { task: task.id }),
      undefined,
    )
    expect(response.statusCode).toBe(200)
    expect((response.body as { entries: unknown[] }).entries).toHaveLength(1)
  })

  it('notification-fanout answers a read with a token signed by the configured secret', async () => {
    const response = await fanout.handle(read(bearer(await sign({ sub: 'alice' })), {}), undefined)
    expect(response.statusCode).toBe(200)
  })

  it('both refuse a bad signature, an expired token and a dev token with 401', async () => {
    const tokens = [
      await sign({ sub: 'alice' }, otherSecret),
      await sign({ sub: 'alice' }, secret, anHourAgo()),
      'dev.alice',
    ]
    for (const token of tokens) {
      const audit = await auditLog.handle(read(bearer(token), { task: task.id }), undefined)
      const notifications = await fanout.handle(read(bearer(token), {}), undefined)
      expect([audit.statusCode, notifications.statusCode]).toEqual([401, 401])
      expect(audit.headers['www-authenticate']).toBe('Bearer')
    }
  })
})

describe('a function in development mode', () => {
  let auditLog: AuditLogFunction
  const task = taskSnapshot({ createdBy: 'bob', assignee: null, watchers: [] })

  beforeAll(async () => {
    auditLog = createAuditLog({ config: readAuditLogConfig({ PGLITE_DATA_DIR: 'memory://' }) })
    await auditLog.init()
    await auditLog.handle(eventContext, taskCreated(task, 'bob'))
  })
  afterAll(async () => {
    await auditLog?.shutdown()
  })

  it('accepts Bearer dev.<userId> and refuses a signed JWT it has no key for', async () => {
    const dev = await auditLog.handle(
      { method: 'GET', headers: bearer('dev.bob'), query: { task: task.id } },
      undefined,
    )
    expect(dev.statusCode).toBe(200)
    const jwt = await auditLog.handle(
      { method: 'GET', headers: bearer(await sign({ sub: 'bob' })), query: { task: task.id } },
      undefined,
    )
    expect(jwt.statusCode).toBe(401)
  })
})

describe.runIf(kubectlAvailable())('the cluster config is valid for the Task API and every function', () => {
  // dev: development tokens (README's `Bearer dev.alice` on a dev cluster); prod: the identity provider's.
  const overlays = [
    ['manifests/overlays/dev', 'development', 'development'],
    ['manifests/overlays/prod', 'production', 'jwks'],
    ['manifests/overlays/example', 'production', 'jwks'],
  ] as const
  for (const [overlay, nodeEnv, authMode] of overlays) {
    it(`${overlay}: taskflow-shared-config (+ each function's ConfigMap) parses, with ${authMode} tokens`, () => {
      const configMaps = new Map(
        renderOverlay(overlay)
          .filter((resource) => resource.kind === 'ConfigMap')
          .map((resource) => [resource.metadata.name, (resource as { data?: Env }).data ?? {}]),
      )
      const shared = configMaps.get('taskflow-shared-config')
      expect(shared).toBeDefined()
      expect(shared).not.toHaveProperty('AUTH_MODE')
      const senderIdentity = configMaps.get('taskflow-sender-identity')
      const envOf = (name: string): Env => ({ ...shared, ...configMaps.get(`${name}-config`) })
      const functionEnvOf = (name: string): Env => ({ ...senderIdentity, ...envOf(name) })

      // The Kafka login (a mounted CA file, a password from a Secret) is task-api-settings.test.ts's
      // subject; here only the auth settings the API and the functions share.
      const {
        KAFKA_CA_FILE: _ca,
        KAFKA_SASL_MECHANISM: _mechanism,
        KAFKA_SASL_USERNAME: _user,
        ...apiEnv
      } = envOf('task-api')
      const api = loadConfig(apiEnv)
      expect(api.nodeEnv).toBe(nodeEnv)
      expect(api.auth.mode).toBe(authMode)
      const functions = [
        readAuditLogConfig(functionEnvOf('audit-log')),
        readNotificationFanoutConfig(functionEnvOf('notification-fanout')),
        readRemindersConfig(functionEnvOf('reminders')),
      ]
      for (const config of functions) {
        expect(config.auth).toEqual(api.auth)
        // Every function checks who sends it events, in dev too (a cluster's sources send tokens).
        expect(config.senders.mode).toBe('oidc')
      }
    })
  }
})
