import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { call, eventually, recordingPublisher, startEmbeddedApi } from '../../support/api-harness.ts'

// Starting PGlite (WASM) takes seconds on a loaded 2-core machine: more than the 10 s hook default.
vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

describe('startApi on embedded PGlite', () => {
  let api: RunningApi
  const publisher = recordingPublisher()
  beforeAll(async () => {
    api = await startEmbeddedApi(publisher)
  })
  afterAll(async () => {
    await api?.close()
  })

  it('serves an OpenAPI 3.1 document whose Task schema validates real responses', async () => {
    const doc = await call(api.url, 'GET', '/openapi.json', { user: null })
    expect(doc.status).toBe(200)
    expect(doc.body.openapi).toBe('3.1.0')
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/tasks', '/tasks/{id}', '/tasks/{id}/complete']),
    )
    expect(doc.body.paths['/tasks'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateTask',
    )
    expect(doc.body.components.schemas.CreateTask.additionalProperties).toBe(false)

    const ajv = new Ajv2020({ strict: false })
    addFormats.default(ajv)
    ajv.addSchema({ $id: 'openapi', components: doc.body.components })
    const validateTask = ajv.compile({ $ref: 'openapi#/components/schemas/Task' })
    const created = await call(api.url, 'POST', '/tasks', {
      body: { title: 'documented', dueAt: '2030-01-01T00:00:00Z' },
    })
    expect(validateTask(created.body), JSON.stringify(validateTask.errors)).toBe(true)
    const validateProblem = ajv.compile({ $ref: 'openapi#/components/schemas/Problem' })
    const problem = await call(api.url, 'POST', '/tasks', { body: { nope: 1 } })
    expect(validateProblem(problem.body), JSON.stringify(validateProblem.errors)).toBe(true)
  })

  it('serves /docs as Swagger UI from its own origin, under a CSP, with the dev-token hint', async () => {
    const docs = await call(api.url, 'GET', '/docs', { user: null })
    expect(docs.status).toBe(200)
    expect(docs.headers['content-type']).toMatch(/^text\/html/)
    expect(docs.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self';/)
    expect(docs.text).toContain('<div id="swagger-ui">')
    expect(docs.text).toMatch(
      /<code>dev\.&lt;user&gt;<\/code>.*<code>Authorization: Bearer dev\.alice<\/code>/,
    )
    expect(docs.text).not.toMatch(/(src|href)=["'](https?:)?\/\//)
    expect(docs.text).not.toMatch(/<script>|<style>| style=/)
    // Every file the page loads is the API's own, with the content type a browser under nosniff needs.
    const loaded = [...docs.text.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map(
      (match) => match[1]!,
    )
    const types = {
      'docs.css': 'text/css; charset=utf-8',
      'docs.js': 'text/javascript; charset=utf-8',
      'favicon-32x32.png': 'image/png',
      'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
      'swagger-ui.css': 'text/css; charset=utf-8',
    }
    expect(loaded.sort()).toEqual(Object.keys(types).map((file) => `/docs/assets/${file}`))
    for (const path of loaded) {
      const asset = await call(api.url, 'GET', path, { user: null })
      expect(asset.status, path).toBe(200)
      expect(asset.headers['content-type'], path).toBe(
        types[path.slice('/docs/assets/'.length) as keyof typeof types],
      )
      expect(asset.headers['x-content-type-options'], path).toBe('nosniff')
      expect(asset.text.length, path).toBeGreaterThan(0)
    }
    // The script starts Swagger UI on this origin's document, with "Try it out" on and no validator.
    const script = await call(api.url, 'GET', '/docs/assets/docs.js', { user: null })
    expect(script.text).toMatch(/url: '\/openapi\.json'[\s\S]*tryItOutEnabled: true[\s\S]*validatorUrl: null/)
    expect((await call(api.url, 'GET', '/docs/assets/index.html', { user: null })).status).toBe(404)
  })

  it('reports liveness, readiness with the outbox backlog, and Prometheus metrics', async () => {
    expect((await call(api.url, 'GET', '/healthz', { user: null })).body).toEqual({ status: 'ok' })
    const ready = await eventually(
      () => call(api.url, 'GET', '/readyz', { user: null }),
      (response) => response.body?.outbox?.backlog === 0,
    )
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({ status: 'ready', database: 'up', kafka: 'up' })
    const metrics = await call(api.url, 'GET', '/metrics', { user: null })
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/tasks".*\}/)
    expect(metrics.text).toMatch(/outbox_published_events_total [1-9]/)
    expect(metrics.text).toContain('outbox_oldest_unpublished_age_seconds 0')
    expect(metrics.text).toContain('outbox_backlog_query_up 1')
    expect(metrics.text).toContain('outbox_commit_to_ack_seconds_bucket')
  })

  it('answers a request Node cannot parse (unknown method, headers too large) as problem+json', async () => {
    const pool = new Pool(api.url)
    try {
      for (const [options, status] of [
        [{ path: '/tasks', method: 'BREW' }, 400],
        [{ path: '/tasks', method: 'GET', headers: { 'x-padding': 'a'.repeat(20_000) } }, 431],
      ] as const) {
        const response = await pool.request(options)
        expect(response.statusCode).toBe(status)
        expect(response.headers['content-type']).toBe('application/problem+json')
        expect(await response.body.json()).toMatchObject({ status, title: expect.any(String) })
      }
    } finally {
      await pool.destroy()
    }
  })

  it('echoes X-Request-Id and makes one up when absent', async () => {
    const echoed = await call(api.url, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } })
    expect(echoed.headers['x-request-id']).toBe('abc-123')
    const made = await call(api.url, 'GET', '/healthz')
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('graceful shutdown', () => {
  it('stops listening, stops the relay and gives its lanes back', async () => {
    const publisher = recordingPublisher()
    const api = await startEmbeddedApi(publisher)
    const created = await call(api.url, 'POST', '/tasks', { body: { title: 'before shutdown' } })
    expect(created.status).toBe(201)
    await eventually(
      () => publisher.records.length,
      (count) => count === 1,
    )
    expect(api.relay!.status().ownedLanes).toHaveLength(16)
    await api.close()
    expect(api.relay!.status()).toMatchObject({ running: false, ownedLanes: [] })
    expect(api.server.listening).toBe(false)
    await expect(call(api.url, 'GET', '/healthz')).rejects.toThrow()
  })
})
