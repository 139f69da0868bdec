import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { postBinary } from '../../support/function-runtime.ts'
import { useLoneFunctionFolder } from '../../support/lone-function-folder.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

// functions/audit-log/ copied ALONE, installed, built and started as the buildpack would (see
// tests/support/lone-function-folder.ts), then one CloudEvent and a read of its audit trail. Without
// DATABASE_URL the function opens an embedded PGlite, so nothing else has to run.

describe('audit-log folder copied alone', () => {
  const folder = useLoneFunctionFolder('audit-log')

  it('installs from the registry, builds, starts and records a CloudEvent', {
    timeout: 600_000,
  }, async () => {
    const built = await folder.installAndBuild()
    expect(built).not.toMatch(/from ["']\.\.\/\.\.\//)

    const { url, coldStartMs } = await folder.start()

    const task = taskSnapshot()
    const response = await postBinary(`${url}/`, taskCreated(task))
    expect(response.statusCode, folder.output()).toBe(200)
    expect(await response.body.json()).toMatchObject({ seq: '1' })

    const trail = await request(`${url}/?task=${task.id}`, {
      headers: { authorization: 'Bearer dev.alice' },
    })
    expect(trail.statusCode).toBe(200)
    expect(((await trail.body.json()) as { entries: unknown[] }).entries).toHaveLength(1)

    // The kit finds the runtime's own cloudevents SDK in this layout too: an envelope the SDK refuses
    // (no source) is a 400, dead-lettered at once, not the runtime's 500.
    const { source: _none, ...withoutSource } = taskCreated(taskSnapshot())
    const refused = await postBinary(`${url}/`, withoutSource)
    await refused.body.dump()
    expect(refused.statusCode, folder.output()).toBe(400)

    // No CORS grant (issue 19, finding 4): faas-js-runtime's own `*` is taken out by vendor/serve.js.
    const origin = { origin: 'https://evil.example' }
    const preflight = await request(`${url}/`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    })
    await preflight.body.dump()
    expect(preflight.statusCode).toBe(204)
    const read = await request(`${url}/?task=${task.id}`, {
      headers: { ...origin, authorization: 'Bearer dev.alice' },
    })
    await read.body.dump()
    for (const response of [preflight, read])
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([])
    // Figures for the report, not assertions (no timed assertions: bench/ holds performance goals).
    console.info(`[audit-log alone] cold start to readiness ${coldStartMs} ms (npm start, embedded PGlite)`)
  })
})
