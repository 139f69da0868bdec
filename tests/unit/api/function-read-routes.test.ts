import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { expectProblem, type Harness, startHarness } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'

// The routes the API forwards to the audit-log and notification-fanout functions, against a recording
// stand-in for the function: what reaches the function, and that every error the caller gets is the
// API's problem+json, whatever the function's runtime answered.

vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

await describeEachDatabase('routes forwarded to the functions', (backend) => {
  let fn: RecordingSink
  let api: Harness
  beforeAll(async () => {
    fn = await startRecordingSink({ status: 200 })
    api = await startHarness({
      databaseUrl: backend.url,
      bodyLimit: '2kb',
      functionReads: { auditLog: fn.url, notifications: fn.url },
    })
  })
  afterAll(async () => {
    await api?.close()
    await fn?.close()
  })
  const lastForwarded = () => fn.requests.at(-1)!

  it('marks a notification read without passing on a content type that has no body', async () => {
    fn.statuses.push(204)
    const response = await api.call('POST', '/notifications/0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1/read', {
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(204)
    expect(lastForwarded().headers['content-type']).toBeUndefined()
    expect(lastForwarded().body).toBe('')
    expectProblem(
      await api.call('POST', '/notifications/x/read', { body: { unread: true } }),
      400,
      'body.unread',
    )
  })

  it('checks the preferences body as its own (size 413, media type 415, syntax 400) before forwarding', async () => {
    const before = fn.requests.length
    expectProblem(
      await api.call('PUT', '/notifications/preferences', { body: { timeZone: 'x'.repeat(4096) } }),
      413,
      'body',
    )
    expectProblem(
      await api.call('PUT', '/notifications/preferences', {
        rawBody: 'timeZone=UTC',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'header.content-type',
    )
    expectProblem(
      await api.call('PUT', '/notifications/preferences', {
        rawBody: '{"timeZone":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'body',
    )
    expect(fn.requests.length).toBe(before)
  })

  it('forwards the preferences body byte for byte, even one too deeply nested to serialise again', async () => {
    const nested = `{"channels":${'['.repeat(1000)}${']'.repeat(1000)}}`
    const response = await api.call('PUT', '/notifications/preferences', {
      rawBody: nested,
      headers: { 'content-type': 'application/merge-patch+json' },
    })
    expect(response.status).toBe(200)
    expect(lastForwarded().body).toBe(nested)
    expect(lastForwarded().headers['content-type']).toBe('application/json')
  })

  it("re-states an error the function's runtime answered in its own JSON as problem+json", async () => {
    fn.reply = () => ({
      status: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        statusCode: 400,
        error: 'Bad Request',
        message: 'forbidden prototype property',
      }),
    })
    try {
      const response = await api.call('PUT', '/notifications/preferences', { body: { __proto__: null } })
      expectProblem(response, 400)
      expect(response.body.detail).toBe('forbidden prototype property')
    } finally {
      fn.reply = () => ({ status: 200 })
    }
  })

  it('passes problem+json from the function through unchanged', async () => {
    const problem = { type: 'about:blank', title: 'Not found', status: 404, detail: 'no trail' }
    fn.statuses.length = 0
    fn.reply = () => ({
      status: 404,
      headers: { 'content-type': 'application/problem+json' },
      body: JSON.stringify(problem),
    })
    try {
      const response = await api.call('GET', '/tasks/0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1/audit')
      expect(response.status).toBe(404)
      expect(response.body).toEqual(problem)
    } finally {
      fn.reply = () => ({ status: 200 })
    }
  })

  // Every route of the API, forwarded or not, answers another method with 405 and Allow, not 404.
  it.each([
    ['DELETE', '/audit', 'GET'],
    ['POST', '/tasks/0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1/audit', 'GET'],
    ['PATCH', '/notifications', 'GET'],
    ['POST', '/notifications/stream', 'GET'],
    ['DELETE', '/notifications/preferences', 'GET, PUT'],
    ['GET', '/notifications/x/read', 'POST'],
    ['POST', '/healthz', 'GET'],
    ['PUT', '/readyz', 'GET'],
    ['DELETE', '/metrics', 'GET'],
    ['POST', '/openapi.json', 'GET'],
    ['PUT', '/docs', 'GET'],
  ])('%s %s is a 405 problem allowing %s', async (method, path, allowed) => {
    const response = await api.call(method, path)
    expectProblem(response, 405)
    expect(response.headers.allow).toBe(allowed)
  })
})
