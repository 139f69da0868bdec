import { expect, it, vi } from 'vitest'
import { kafkaCodec, taskSnapshotSchema } from '../../../events/src/index.ts'
import { eventually, recordingPublisher, useHarness } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Starting PGlite (WASM) takes seconds on a loaded 2-core machine: more than the 10 s hook default.
vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

await describeEachDatabase('task API lifecycle', (backend) => {
  const publisher = recordingPublisher()
  const api = useHarness(backend, { publisher })

  const decoded = () =>
    publisher.records.map((record) => {
      const result = kafkaCodec.decode({
        topic: record.topic,
        partition: 0,
        offset: '0',
        timestamp: '0',
        key: record.key,
        value: record.value,
        headers: record.headers,
      })
      if (!result.ok) throw new Error(`undecodable record: ${result.error.message}`)
      return result.value
    })

  it('POST /tasks stores the task and publishes one task.created event keyed by the task id', async () => {
    const created = await api.call('POST', '/tasks', {
      body: {
        title: 'Write report',
        dueAt: '2030-01-02T10:00:00+01:00',
        remindMinutesBefore: 30,
        tags: ['work'],
      },
      headers: { 'x-request-id': 'req-create-1' },
    })
    expect(created.status).toBe(201)
    expect(created.headers.etag).toBe('"1"')
    expect(created.headers.location).toBe(`/tasks/${created.body.id}`)
    expect(created.body).toMatchObject({
      title: 'Write report',
      status: 'open',
      priority: 'normal',
      dueAt: '2030-01-02T09:00:00.000Z',
      remindAt: '2030-01-02T08:30:00.000Z',
      createdBy: 'alice',
      version: 1,
    })

    const read = await api.call('GET', `/tasks/${created.body.id}`)
    expect(read.status).toBe(200)
    expect(read.body).toEqual(created.body)

    const events = await eventually(decoded, (all) => all.some((event) => event.subject === created.body.id))
    const mine = events.filter((event) => event.subject === created.body.id)
    expect(mine).toHaveLength(1)
    const event = mine[0]!
    expect(event.type).toBe('dev.taskflow.task.created')
    expect(event.correlationid).toBe('req-create-1')
    expect(event.causationid).toBe('req-create-1')
    expect(event.actor).toBe('alice')
    const record = publisher.records.find((r) => r.headers.ce_id === event.id)!
    expect(record.key).toBe(created.body.id)
    expect(record.topic).toBe('task-events')
    expect(taskSnapshotSchema.parse((event.data as { task: unknown }).task)).toEqual(created.body)
  })

  it('PATCH, complete and DELETE emit updated, completed and deleted events in order', async () => {
    const created = await api.call('POST', '/tasks', { body: { title: 'Plan', priority: 'low' } })
    const id = created.body.id as string
    const patched = await api.call('PATCH', `/tasks/${id}`, {
      body: { priority: 'high', assignee: 'bob' },
      headers: { 'if-match': '"1"' },
    })
    expect(patched.status).toBe(200)
    expect(patched.headers.etag).toBe('"2"')
    const completed = await api.call('POST', `/tasks/${id}/complete`)
    expect(completed.status).toBe(200)
    expect(completed.body.status).toBe('done')
    const again = await api.call('POST', `/tasks/${id}/complete`)
    expect(again.body.version).toBe(completed.body.version)
    const deleted = await api.call('DELETE', `/tasks/${id}`, { headers: { 'if-match': '"3"' } })
    expect(deleted.status).toBe(204)
    expect((await api.call('GET', `/tasks/${id}`)).status).toBe(404)

    const events = await eventually(
      () => decoded().filter((event) => event.subject === id),
      (all) => all.length >= 4,
    )
    expect(events.map((event) => event.type)).toEqual([
      'dev.taskflow.task.created',
      'dev.taskflow.task.updated',
      'dev.taskflow.task.completed',
      'dev.taskflow.task.deleted',
    ])
    expect((events[1]!.data as { changes: unknown }).changes).toEqual({
      priority: { previous: 'low', current: 'high' },
      assignee: { previous: null, current: 'bob' },
    })
  })
})
