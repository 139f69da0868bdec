import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { postBinary } from '../../support/function-runtime.ts'
import { useLoneFunctionFolder } from '../../support/lone-function-folder.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

// functions/notification-fanout/ copied ALONE, installed, built and started as the buildpack would
// (see tests/support/lone-function-folder.ts), then one CloudEvent, a read and a live stream. Without
// DATABASE_URL the function opens an embedded PGlite; without SMTP_URL emails are only recorded.

describe('notification-fanout folder copied alone', () => {
  const folder = useLoneFunctionFolder('notification-fanout')

  it('installs from the registry, builds, starts, fans out a CloudEvent and streams it', {
    timeout: 600_000,
  }, async () => {
    const built = await folder.installAndBuild()
    expect(built).not.toMatch(/from ["']\.\.\/\.\.\//)

    const { url: base, coldStartMs } = await folder.start({ STREAM_POLL_MS: '100' })

    const auth = { authorization: 'Bearer dev.bob' }
    const stream = await request(`${base}/?view=stream`, { headers: auth })
    expect(stream.statusCode).toBe(200)

    const event = taskCreated(taskSnapshot({ assignee: 'bob' }))
    const response = await postBinary(`${base}/`, event)
    expect(response.statusCode, folder.output()).toBe(200)
    expect(await response.body.json()).toMatchObject({ recipients: ['bob', 'carol'] })

    let text = ''
    for await (const chunk of stream.body) {
      text += chunk.toString()
      if (text.includes('event: notification')) break
    }
    stream.body.destroy()
    expect(text).toContain(event.id)

    const list = await request(`${base}/?view=list`, { headers: auth })
    expect(list.statusCode).toBe(200)
    expect(((await list.body.json()) as { notifications: unknown[] }).notifications).toHaveLength(1)
    // Figures for the report, not assertions (no timed assertions: bench/ holds performance goals).
    console.info(
      `[notification-fanout alone] cold start to readiness ${coldStartMs} ms (npm start, embedded PGlite)`,
    )
  })
})
