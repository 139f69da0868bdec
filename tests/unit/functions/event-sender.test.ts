import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ConfigError,
  createEventGate,
  createSenderVerifier,
  type SenderIdentitySettings,
} from '../../../function-kit/src/index.ts'
import { type AuditLogFunction, createAuditLog } from '../../../functions/audit-log/src/audit-log.ts'
import { readAuditLogConfig } from '../../../functions/audit-log/src/config.ts'
import { readNotificationFanoutConfig } from '../../../functions/notification-fanout/src/config.ts'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { type LocalIssuer, startLocalIssuer } from '../../../local/src/auth/local-issuer.ts'
import { eventContext, readContext, taskCreated, taskSnapshot } from '../../support/task-events.ts'

// Sender identity (issue 19, finding 1): a function processes a CloudEvent only when it carries a
// token of one of its own sources, issued by the cluster's ServiceAccount issuer for its audience.

vi.setConfig({ hookTimeout: 60_000 })

const audience = 'serving.knative.dev/service/taskflow/audit-log'
const source = 'system:serviceaccount:taskflow:audit-log-oidc-sources.knative.dev-kafkasource'
const ping = 'system:serviceaccount:taskflow:audit-retention-tick-oidc-sources.knative.dev-pingsource'
const other = 'system:serviceaccount:taskflow:notification-fanout-oidc-sources.knative.dev-kafkasource'
const bearer = (token: string) => `Bearer ${token}`

let issuer: LocalIssuer
let settings: Extract<SenderIdentitySettings, { mode: 'oidc' }>

beforeAll(async () => {
  issuer = await startLocalIssuer()
  settings = {
    mode: 'oidc',
    issuer: issuer.issuer,
    jwksUrl: issuer.jwksUrl,
    audience,
    allowedSubjects: [source, ping],
  }
})
afterAll(async () => {
  await issuer?.close()
})

describe('the sender check', () => {
  it('accepts a token of an allowed source for this audience', async () => {
    const verify = createSenderVerifier(settings)
    expect(await verify.verify(bearer(await issuer.token(source, audience)))).toEqual({
      ok: true,
      subject: source,
    })
    expect(await verify.verify(bearer(await issuer.token(ping, audience)))).toMatchObject({ ok: true })
  })

  it('refuses no token, a malformed header and a token that is not a JWT with 401', async () => {
    const verify = createSenderVerifier(settings)
    expect(await verify.verify(undefined)).toMatchObject({ ok: false, status: 401 })
    expect(await verify.verify('Basic YWxpY2U6cw==')).toMatchObject({ ok: false, status: 401 })
    expect(await verify.verify(bearer('not.a.jwt'))).toMatchObject({ ok: false, status: 401 })
  })

  it('refuses an unsigned token and one signed by a key the issuer does not publish', async () => {
    const verify = createSenderVerifier(settings)
    const claims = { iss: issuer.issuer, aud: audience, sub: source }
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const exp = Math.floor(Date.now() / 1000) + 600
    const body = Buffer.from(JSON.stringify({ ...claims, exp })).toString('base64url')
    expect(await verify.verify(bearer(`${header}.${body}.`))).toMatchObject({ ok: false, status: 401 })

    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setExpirationTime('10m')
      .sign(privateKey)
    expect(await verify.verify(bearer(forged))).toMatchObject({ ok: false, status: 401 })
  })

  it('refuses a token replayed from another receiver (its audience) with 401', async () => {
    const verify = createSenderVerifier(settings)
    const forFanout = await issuer.token(source, 'serving.knative.dev/service/taskflow/notification-fanout')
    expect(await verify.verify(bearer(forFanout))).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining('aud'),
    })
    const forSink = await issuer.token(source, 'eventing.knative.dev/kafkasink/taskflow/dead-letters')
    expect(await verify.verify(bearer(forSink))).toMatchObject({ ok: false, status: 401 })
  })

  it('refuses a valid token of a sender that is not one of this function’s sources with 403', async () => {
    const verify = createSenderVerifier(settings)
    expect(await verify.verify(bearer(await issuer.token(other, audience)))).toMatchObject({
      ok: false,
      status: 403,
      reason: expect.stringContaining(other),
    })
  })

  it('refuses a token of another issuer, even for the right subject and audience', async () => {
    const elsewhere = await startLocalIssuer()
    try {
      const verify = createSenderVerifier(settings)
      expect(await verify.verify(bearer(await elsewhere.token(source, audience)))).toMatchObject({
        ok: false,
        status: 401,
      })
    } finally {
      await elsewhere.close()
    }
  })

  it('refuses an expired token, also one it accepted while it was valid', async () => {
    const shortLived = await startLocalIssuer({ lifetimeSeconds: 1 })
    try {
      const verify = createSenderVerifier({
        ...settings,
        issuer: shortLived.issuer,
        jwksUrl: shortLived.jwksUrl,
      })
      const token = await shortLived.token(source, audience)
      expect(await verify.verify(bearer(token))).toMatchObject({ ok: true })
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      expect(await verify.verify(bearer(token))).toMatchObject({ ok: false, status: 401 })
    } finally {
      await shortLived.close()
    }
  })

  it('a subject ending in * allows that prefix (EventPolicy), nothing else', async () => {
    const verify = createSenderVerifier({
      ...settings,
      allowedSubjects: ['system:serviceaccount:taskflow:*'],
    })
    expect(await verify.verify(bearer(await issuer.token(other, audience)))).toMatchObject({ ok: true })
    const outsider = 'system:serviceaccount:default:intruder'
    expect(await verify.verify(bearer(await issuer.token(outsider, audience)))).toMatchObject({
      ok: false,
      status: 403,
    })
  })

  it('an unreachable key set is the receiver’s fault (503), so the sender retries', async () => {
    const verify = createSenderVerifier({ ...settings, jwksUrl: 'http://127.0.0.1:1/openid/v1/jwks' })
    expect(await verify.verify(bearer(await issuer.token(source, audience)))).toMatchObject({
      ok: false,
      status: 503,
    })
  })
})

describe('a function behind the sender check', () => {
  let auditLog: AuditLogFunction
  const task = taskSnapshot({ createdBy: 'alice', assignee: null, watchers: [] })
  const forged = taskCreated({ ...task, watchers: ['mallory'] }, 'alice')

  beforeAll(async () => {
    const config = readAuditLogConfig({
      PGLITE_DATA_DIR: 'memory://',
      EVENTS_OIDC_ISSUER: issuer.issuer,
      EVENTS_OIDC_JWKS_URL: issuer.jwksUrl,
      EVENTS_AUDIENCE: audience,
      EVENTS_ALLOWED_SENDERS: `${source}, ${ping}`,
    })
    auditLog = createAuditLog({ config })
    await auditLog.init()
  })
  afterAll(async () => {
    await auditLog?.shutdown()
  })

  it('answers a forged event 401 with a Bearer challenge, and records nothing', async () => {
    const response = await auditLog.handle(eventContext, forged)
    expect(response).toMatchObject({ statusCode: 401, headers: { 'www-authenticate': 'Bearer' } })
    const read = await auditLog.handle(readContext('mallory', { task: task.id }))
    expect(read.statusCode).toBe(404)
  })

  it('answers another source’s token 403, and records nothing', async () => {
    const headers = { authorization: bearer(await issuer.token(other, audience)) }
    expect((await auditLog.handle({ ...eventContext, headers }, forged)).statusCode).toBe(403)
    expect((await auditLog.handle(readContext('alice', { task: task.id }))).statusCode).toBe(404)
  })

  it('records the event its own source sends', async () => {
    const headers = { authorization: bearer(await issuer.token(source, audience)) }
    const response = await auditLog.handle({ ...eventContext, headers }, taskCreated(task, 'alice'))
    expect(response.statusCode).toBeLessThan(300)
    expect((await auditLog.handle(readContext('alice', { task: task.id }))).statusCode).toBe(200)
  })

  it('the plain reads stay with the users’ tokens, not the senders’', async () => {
    const headers = { authorization: bearer(await issuer.token(source, audience)) }
    const read = await auditLog.handle({ method: 'GET', headers, query: { task: task.id } })
    expect(read.statusCode).toBe(401)
  })
})

describe('the gate logs every refusal at error level', () => {
  it('names the status and the reason', async () => {
    const errors: unknown[] = []
    const log = { info() {}, warn() {}, error: (object: object) => errors.push(object) }
    const gate = createEventGate(settings)
    const response = await gate({ method: 'POST', headers: {}, log }, async () => ({
      statusCode: 204,
      headers: {},
      body: '',
    }))
    expect(response.statusCode).toBe(401)
    expect(errors).toEqual([expect.objectContaining({ status: 401, reason: expect.any(String) })])
  })
})

describe('sender identity settings', () => {
  const readers = {
    'audit-log': readAuditLogConfig,
    'notification-fanout': readNotificationFanoutConfig,
    reminders: readRemindersConfig,
  }
  const production = { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://auth.example.com/jwks.json' }
  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: production without them is a config error naming each variable`, () => {
      expect(() => read(production)).toThrow(ConfigError)
      for (const variable of [
        'EVENTS_OIDC_ISSUER',
        'EVENTS_OIDC_JWKS_URL',
        'EVENTS_AUDIENCE',
        'EVENTS_ALLOWED_SENDERS',
      ])
        expect(() => read(production)).toThrow(new RegExp(`${variable}: sender identity needs`))
    })

    it(`${name}: EVENTS_SENDER_AUTH=disabled is the only way to accept anyone in production`, () => {
      expect(read({ ...production, EVENTS_SENDER_AUTH: 'disabled' }).senders).toEqual({ mode: 'disabled' })
      expect(read({}).senders).toEqual({ mode: 'disabled' })
    })

    it(`${name}: an issuer switches the check on, and its list is read as subjects`, () => {
      const config = read({
        EVENTS_OIDC_ISSUER: 'https://kubernetes.default.svc.cluster.local',
        EVENTS_OIDC_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
        EVENTS_AUDIENCE: audience,
        EVENTS_ALLOWED_SENDERS: ` ${source} ,${ping},`,
      })
      expect(config.senders).toMatchObject({ mode: 'oidc', audience, allowedSubjects: [source, ping] })
      expect(() => read({ EVENTS_OIDC_ISSUER: 'https://kubernetes.default.svc.cluster.local' })).toThrow(
        /EVENTS_AUDIENCE/,
      )
    })
  }
})
