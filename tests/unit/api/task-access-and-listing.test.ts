import { expect, it, vi } from 'vitest'
import { eventually, recordingPublisher, useHarness } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Starting PGlite (WASM) takes seconds on a loaded 2-core machine: more than the 10 s hook default.
vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

await describeEachDatabase('task API access, listing and idempotency', (backend) => {
  const publisher = recordingPublisher()
  const api = useHarness(backend, { publisher })

  it('a user cannot read, change or delete another user’s task (404), but the assignee and watchers can', async () => {
    const created = await api.call('POST', '/tasks', {
      user: 'owner1',
      body: { title: 'private', watchers: ['watcher1'] },
    })
    const path = `/tasks/${created.body.id}`
    expect((await api.call('GET', path, { user: 'stranger1' })).status).toBe(404)
    expect(
      (
        await api.call('PATCH', path, {
          user: 'stranger1',
          body: { title: 'mine' },
          headers: { 'if-match': '"1"' },
        })
      ).status,
    ).toBe(404)
    expect((await api.call('DELETE', path, { user: 'stranger1' })).status).toBe(404)
    expect((await api.call('POST', `${path}/complete`, { user: 'stranger1' })).status).toBe(404)
    expect((await api.call('GET', path, { user: 'watcher1' })).status).toBe(200)
    expect((await api.call('GET', '/tasks', { user: 'stranger1' })).body.items).toEqual([])

    const assigned = await api.call('PATCH', path, {
      user: 'owner1',
      body: { assignee: 'assignee1' },
      headers: { 'if-match': '"1"' },
    })
    expect(assigned.status).toBe(200)
    const byAssignee = await api.call('PATCH', path, {
      user: 'assignee1',
      body: { status: 'in_progress' },
      headers: { 'if-match': '"2"' },
    })
    expect(byAssignee.status).toBe(200)
    expect(byAssignee.body.status).toBe('in_progress')
  })

  it('lists with filters and walks all pages with a cursor, each task once, in creation order', async () => {
    const user = 'lister'
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const created = await api.call('POST', '/tasks', {
        user,
        body: {
          title: `t${i}`,
          tags: i % 2 === 0 ? ['even'] : ['odd'],
          dueAt: `2031-01-0${i + 1}T00:00:00Z`,
        },
      })
      ids.push(created.body.id)
    }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`
      const page = await api.call('GET', `/tasks${query}`, { user })
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((task: { id: string }) => task.id))
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(seen).toEqual(ids)

    const even = await api.call('GET', '/tasks?tag=even', { user })
    expect(even.body.items.map((task: { title: string }) => task.title)).toEqual(['t0', 't2', 't4', 't6'])
    const window = await api.call(
      'GET',
      '/tasks?dueAfter=2031-01-02T00:00:00Z&dueBefore=2031-01-04T00:00:00Z',
      { user },
    )
    expect(window.body.items.map((task: { title: string }) => task.title)).toEqual(['t1', 't2'])
    await api.call('POST', `/tasks/${ids[0]}/complete`, { user })
    const done = await api.call('GET', '/tasks?status=done', { user })
    expect(done.body.items.map((task: { id: string }) => task.id)).toEqual([ids[0]])
  })

  it('Idempotency-Key replays the first response and emits no second event; another body is a 422', async () => {
    const headers = { 'idempotency-key': 'create-once-1' }
    const first = await api.call('POST', '/tasks', {
      user: 'idem',
      body: { title: 'once', tags: ['a'] },
      headers,
    })
    const replay = await api.call('POST', '/tasks', {
      user: 'idem',
      body: { tags: ['a'], title: 'once' },
      headers,
    })
    expect(replay.status).toBe(first.status)
    expect(replay.body).toEqual(first.body)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    const other = await api.call('POST', '/tasks', { user: 'idem', body: { title: 'twice' }, headers })
    expect(other.status).toBe(422)
    expect(other.headers['content-type']).toMatch(/problem\+json/)
    // Keys are per user: the same key from someone else creates their own task.
    const otherUser = await api.call('POST', '/tasks', {
      user: 'idem2',
      body: { title: 'once', tags: ['a'] },
      headers,
    })
    expect(otherUser.status).toBe(201)
    expect(otherUser.body.id).not.toBe(first.body.id)

    const list = await api.call('GET', '/tasks', { user: 'idem' })
    expect(list.body.items).toHaveLength(1)
    // A marker task created after the replays: once its event is out, any replay event would be too.
    const marker = await api.call('POST', '/tasks', { user: 'idem', body: { title: 'marker' } })
    await eventually(
      () => publisher.records,
      (records) => records.some((record) => record.key === marker.body.id),
    )
    expect(publisher.records.filter((record) => record.key === first.body.id)).toHaveLength(1)
  })

  it('concurrent requests with one Idempotency-Key create one task', async () => {
    const headers = { 'idempotency-key': 'race-1' }
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        api.call('POST', '/tasks', { user: 'racer', body: { title: 'race' }, headers }),
      ),
    )
    expect(new Set(responses.map((response) => response.status))).toEqual(new Set([201]))
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1)
  })
})
