import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { expectProblem, type Harness, startHarness } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Starting PGlite (WASM) takes seconds on a loaded 2-core machine: more than the 10 s hook default.
vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

await describeEachDatabase('task API bad input', (backend) => {
  let api: Harness
  beforeAll(async () => {
    api = await startHarness({ databaseUrl: backend.url, bodyLimit: '2kb' })
  })
  afterAll(async () => {
    await api?.close()
  })

  describe('400 validation', () => {
    it('names a missing required field', async () => {
      expectProblem(
        await api.call('POST', '/tasks', { body: { description: 'no title' } }),
        400,
        'body.title',
      )
    })
    it('rejects unknown fields by name', async () => {
      const response = await api.call('POST', '/tasks', { body: { title: 'x', colour: 'red' } })
      expectProblem(response, 400, 'body.colour')
      expect(response.body.errors[0].reason).toBe('unknown field')
    })
    it('rejects a wrong enum value and a bad date', async () => {
      const response = await api.call('POST', '/tasks', {
        body: { title: 'x', priority: 'asap', dueAt: 'tomorrow' },
      })
      expectProblem(response, 400, 'body.priority')
      expectProblem(response, 400, 'body.dueAt')
    })
    it('rejects remindMinutesBefore without a due date', async () => {
      expectProblem(
        await api.call('POST', '/tasks', { body: { title: 'x', remindMinutesBefore: 5 } }),
        400,
        'body.remindMinutesBefore',
      )
    })
    it('rejects a JSON body that is not an object', async () => {
      expectProblem(
        await api.call('POST', '/tasks', {
          rawBody: '"title"',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      )
    })
    it('answers malformed JSON with 400', async () => {
      const response = await api.call('POST', '/tasks', {
        rawBody: '{"title":',
        headers: { 'content-type': 'application/json' },
      })
      expectProblem(response, 400, 'body')
      expect(response.body.title).toBe('Malformed JSON body')
    })
    it('rejects unknown and malformed query parameters', async () => {
      expectProblem(await api.call('GET', '/tasks?colour=red'), 400, 'query.colour')
      expectProblem(await api.call('GET', '/tasks?limit=1000'), 400, 'query.limit')
      expectProblem(await api.call('GET', '/tasks?cursor=bm9wZQ'), 400, 'query.cursor')
    })
    it('refuses NUL and lone surrogates in free text by field, on every write path, storing nothing', async () => {
      // Regression: POST with an Idempotency-Key stored the response in jsonb, which refused the lone
      // surrogate's JSON escape with a 500 after the task itself had been accepted.
      const before = await api.call('GET', '/tasks?limit=100')
      const headerSets: Record<string, string>[] = [{}, { 'idempotency-key': 'lone-surrogate-1' }]
      for (const headers of headerSets) {
        for (const [field, body] of [
          ['title', { title: 'half a 🚀: \ud83d' }],
          ['title', { title: 'trailing half \udc00 alone' }],
          ['description', { title: 'x', description: 'NUL \u0000 inside' }],
          ['description', { title: 'x', description: '\udfff' }],
        ] as const) {
          const response = await api.call('POST', '/tasks', { body, headers })
          expectProblem(response, 400, `body.${field}`)
        }
      }
      const created = await api.call('POST', '/tasks', { body: { title: 'whole 🚀 pair' } })
      expect(created.status).toBe(201)
      const path = `/tasks/${created.body.id}`
      for (const body of [{ title: '\ud800' }, { description: 'a\udbffb' }]) {
        const response = await api.call('PATCH', path, { body, headers: { 'if-match': '"1"' } })
        expectProblem(response, 400, `body.${Object.keys(body)[0]}`)
      }
      const stored = await api.call('GET', path)
      expect(stored.body).toMatchObject({ title: 'whole 🚀 pair', version: 1 })
      const after = await api.call('GET', '/tasks?limit=100')
      expect(after.body.items.length).toBe(before.body.items.length + 1)
    })
    it('rejects an empty PATCH', async () => {
      const created = await api.call('POST', '/tasks', { body: { title: 'x' } })
      expectProblem(
        await api.call('PATCH', `/tasks/${created.body.id}`, { body: {}, headers: { 'if-match': '"1"' } }),
        400,
      )
    })
  })

  it('401 without or with a bad bearer token', async () => {
    const missing = await api.call('GET', '/tasks', { user: null })
    expectProblem(missing, 401)
    expect(missing.headers['www-authenticate']).toBe('Bearer')
    expectProblem(
      await api.call('GET', '/tasks', { user: null, headers: { authorization: 'Bearer not-a-dev-token' } }),
      401,
    )
  })

  it('404 for an unknown id, a non-UUID id and an unknown route', async () => {
    expectProblem(await api.call('GET', '/tasks/0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1'), 404)
    expectProblem(await api.call('GET', '/tasks/not-a-uuid'), 404)
    expectProblem(await api.call('GET', '/nothing-here'), 404)
  })

  it('405 with Allow for a method the route does not have', async () => {
    const response = await api.call('PUT', '/tasks', { body: { title: 'x' } })
    expectProblem(response, 405)
    expect(response.headers.allow).toBe('GET, POST')
  })

  it('409 when If-Match names an old version, 428 without If-Match', async () => {
    const created = await api.call('POST', '/tasks', { body: { title: 'x' } })
    const path = `/tasks/${created.body.id}`
    expectProblem(await api.call('PATCH', path, { body: { title: 'y' } }), 428, 'header.if-match')
    expect(
      (await api.call('PATCH', path, { body: { title: 'y' }, headers: { 'if-match': '"1"' } })).status,
    ).toBe(200)
    expectProblem(
      await api.call('PATCH', path, { body: { title: 'z' }, headers: { 'if-match': '"1"' } }),
      409,
    )
    expectProblem(
      await api.call('PATCH', path, { body: { title: 'z' }, headers: { 'if-match': 'W/"2"' } }),
      409,
    )
    expectProblem(
      await api.call('PATCH', path, { body: { title: 'z' }, headers: { 'if-match': 'two' } }),
      400,
      'header.if-match',
    )
    expectProblem(await api.call('DELETE', path, { headers: { 'if-match': '"1"' } }), 409)
  })

  it('413 when the body exceeds the limit', async () => {
    expectProblem(
      await api.call('POST', '/tasks', { body: { title: 'x', description: 'y'.repeat(4096) } }),
      413,
      'body',
    )
  })

  it('415 for a body that is not JSON', async () => {
    const response = await api.call('POST', '/tasks', {
      rawBody: 'title=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expectProblem(response, 415, 'header.content-type')
    expectProblem(
      await api.call('POST', '/tasks', {
        rawBody: '{"title":"x"}',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
    )
  })

  it('never answers arbitrary JSON bodies with a 5xx', async () => {
    const fields = fc.record(
      {
        title: fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.constant(null)),
        description: fc.oneof(fc.string(), fc.constant(null), fc.constant('\u0000')),
        status: fc.oneof(fc.constantFrom('open', 'in_progress', 'done'), fc.string()),
        priority: fc.oneof(fc.constantFrom('low', 'normal', 'high', 'urgent'), fc.string()),
        dueAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
          fc.constant('0000-01-01T00:00:00Z'),
        ),
        remindAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        remindMinutesBefore: fc.oneof(fc.integer(), fc.double()),
        assignee: fc.oneof(fc.string(), fc.constant(null)),
        watchers: fc.array(fc.string()),
        tags: fc.array(fc.oneof(fc.string(), fc.integer())),
      },
      { requiredKeys: [] },
    )
    const bodies = fc.oneof(fields, fc.jsonValue(), fc.object())
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('POST', 'PATCH'), async (body, method) => {
        const created =
          method === 'PATCH' ? await api.call('POST', '/tasks', { body: { title: 'target' } }) : undefined
        const path = created === undefined ? '/tasks' : `/tasks/${created.body.id}`
        const response = await api.call(method, path, { body, headers: { 'if-match': '"1"' } })
        expect(response.status).toBeLessThan(500)
        if (response.status >= 400)
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      }),
      { numRuns: 150 },
    )
  })

  it('answers malformed and arbitrary paths with a 4xx problem, never a 5xx', async () => {
    expectProblem(await api.call('GET', '/tasks/%E0%A4%A'), 400)
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', '%', 'E', '0', '/', '.', '?', '&', '=', '-', 'f', ' ', '#') }),
        fc.constantFrom('GET', 'PATCH', 'DELETE', 'POST'),
        async (suffix, method) => {
          const path = `/tasks/${suffix.replaceAll(' ', '%20').replaceAll('#', '%23')}`
          const response = await api.call(method, path, { headers: { 'if-match': '"1"' } })
          expect(response.status).toBeGreaterThanOrEqual(200)
          expect(response.status).toBeLessThan(500)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('answers arbitrary query strings on GET /tasks with 200 or a 400 problem', async () => {
    const piece = fc.constantFrom(
      'limit',
      'status',
      'tag',
      'cursor',
      'dueBefore',
      'assignee',
      '=',
      '&',
      '%',
      '%2',
      '[',
      ']',
      '1',
      'done',
      '-',
      'x',
    )
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
        const response = await api.call('GET', `/tasks?${pieces.join('')}`)
        expect([200, 400]).toContain(response.status)
      }),
      { numRuns: 150 },
    )
  })

  it('never answers arbitrary bytes as a JSON body with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const response = await api.call('POST', '/tasks', {
          rawBody: Buffer.from(bytes),
          headers: { 'content-type': 'application/json' },
        })
        expect(response.status).toBeLessThan(500)
      }),
      { numRuns: 100 },
    )
  })
})
