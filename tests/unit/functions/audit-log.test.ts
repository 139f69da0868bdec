import { randomUUID } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEvent, EventTypes } from '../../../events/src/index.ts'
import { type AuditLogFunction, createAuditLog } from '../../../functions/audit-log/src/audit-log.ts'
import { searchEntries } from '../../../functions/audit-log/src/audit-queries.ts'
import type { AuditTables } from '../../../functions/audit-log/src/audit-tables.ts'
import { readAuditLogConfig } from '../../../functions/audit-log/src/config.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import {
  eventContext,
  readContext,
  taskCreated,
  taskSnapshot,
  taskUpdated,
} from '../../support/task-events.ts'

// handle() called directly, as faas-js-runtime would, on both database backends.

// Starting PGlite (WASM, initdb) in describeEachDatabase's hook outlasts the unit project's 10 s
// hook timeout when the two cores are busy.
vi.setConfig({ hookTimeout: 60_000 })

type Page = {
  entries: { eventId: string; type: string; actor: string | null; changes: unknown }[]
  nextCursor: string | null
}

await describeEachDatabase('audit-log handle()', (backend) => {
  let auditLog: AuditLogFunction
  let now = new Date('2026-08-23T12:00:00.000Z')

  beforeAll(async () => {
    auditLog = createAuditLog({
      config: readAuditLogConfig({
        DATABASE_URL: backend.url,
        AUDIT_RETENTION_DAYS: '30',
        AUDIT_PAGE_SIZE: '2',
      }),
      now: () => now,
    })
    await auditLog.init()
    // PGlite's first start (WASM, initdb) plus the migrations can take a while on a busy two-core machine.
  }, 60_000)
  afterAll(async () => {
    await auditLog?.shutdown()
  })

  async function rowsOf(
    taskId: string,
  ): Promise<{ event_id: string; prev_hash: string | null; hash: string }[]> {
    const result = await backend.query(
      'select event_id, prev_hash, hash from audit.entries where task_id = $1 order by seq',
      [taskId],
    )
    return result.rows
  }

  it('records a task event as one row and answers 200', async () => {
    const task = taskSnapshot()
    const event = taskCreated(task)
    const response = await auditLog.handle(eventContext, event)
    expect(response.statusCode).toBe(200)
    const rows = await rowsOf(task.id)
    expect(rows.map((row) => row.event_id)).toEqual([event.id])
    expect(rows[0]?.prev_hash).toBeNull()
  })

  it('redelivered event has no second effect and still answers 2xx', async () => {
    const task = taskSnapshot()
    const event = taskCreated(task)
    expect((await auditLog.handle(eventContext, event)).statusCode).toBe(200)
    const again = await auditLog.handle(eventContext, { ...event })
    expect(again.statusCode).toBe(204)
    expect(await rowsOf(task.id)).toHaveLength(1)
  })

  it('an unknown event type is rejected with 400 and records nothing', async () => {
    const event = { ...taskCreated(taskSnapshot()), type: 'dev.taskflow.task.archived' }
    const response = await auditLog.handle(eventContext, event)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toBe('application/problem+json')
  })

  it('data failing its schema is rejected with 422 naming the field', async () => {
    const task = taskSnapshot()
    const event = taskCreated(task)
    const poison = { ...event, data: { task: { ...task, status: 'archived' } } }
    const response = await auditLog.handle(eventContext, poison)
    expect(response.statusCode).toBe(422)
    expect(JSON.stringify(response.body)).toContain('data.task.status')
    expect(await rowsOf(task.id)).toHaveLength(0)
  })

  it('events of other kinds on the topic are acknowledged without a row', async () => {
    const task = taskSnapshot()
    const reminder = createEvent({
      type: EventTypes.ReminderDue,
      source: '/taskflow/reminders',
      data: {
        taskId: task.id,
        title: task.title,
        remindAt: '2026-08-23T09:00:00.000Z',
        dueAt: null,
        assignee: null,
        watchers: [],
        createdBy: 'alice',
      },
    })
    expect((await auditLog.handle(eventContext, reminder)).statusCode).toBe(204)
    expect(await rowsOf(task.id)).toHaveLength(0)
  })

  it('chains each row to the previous row of the same task, even when they arrive concurrently', async () => {
    const task = taskSnapshot()
    await auditLog.handle(eventContext, taskCreated(task))
    const updates = Array.from({ length: 8 }, (_, index) => taskUpdated(task, `title ${index}`))
    const responses = await Promise.all(updates.map((event) => auditLog.handle(eventContext, event)))
    expect(responses.map((response) => response.statusCode)).toEqual(updates.map(() => 200))
    const rows = await rowsOf(task.id)
    expect(rows).toHaveLength(9)
    for (let index = 1; index < rows.length; index++)
      expect(rows[index]?.prev_hash).toBe(rows[index - 1]?.hash)
    expect(await auditLog.verifyChain(task.id)).toEqual({ ok: true, entries: 9 })
  })

  it('records the events of many tasks that arrive together (one group commit), a redelivery among them once', async () => {
    const tasks = Array.from({ length: 12 }, () => taskSnapshot())
    const created = tasks.map((task) => taskCreated(task))
    await auditLog.handle(eventContext, created[0]!)
    // The first event's redelivery rides along with the others: no second row.
    const responses = await Promise.all(
      [...created.slice(1), { ...created[0]! }].map((event) => auditLog.handle(eventContext, event)),
    )
    expect(responses.map((response) => response.statusCode)).toEqual([...tasks.slice(1).map(() => 200), 204])
    for (const task of tasks) {
      expect(await rowsOf(task.id)).toHaveLength(1)
      expect(await auditLog.verifyChain(task.id)).toEqual({ ok: true, entries: 1 })
    }
  })

  it('two replicas writing one task in turn still chain each row to the one before', async () => {
    // Each replica hashes over the head it last wrote; the other's write moves it, and the stale
    // attempt writes nothing, learns the head and hashes again.
    const replica = createAuditLog({
      config: readAuditLogConfig({ DATABASE_URL: backend.url, AUDIT_RETENTION_DAYS: '30' }),
    })
    await replica.init()
    try {
      const task = taskSnapshot()
      const events = [taskCreated(task), ...Array.from({ length: 5 }, (_, i) => taskUpdated(task, `t${i}`))]
      for (const [index, event] of events.entries()) {
        const writer = index % 2 === 0 ? auditLog : replica
        expect((await writer.handle(eventContext, event)).statusCode).toBe(200)
      }
      // The same event through the other replica: already recorded, nothing written.
      expect((await replica.handle(eventContext, { ...events[0]! })).statusCode).toBe(204)
      const rows = await rowsOf(task.id)
      expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.id))
      expect(rows[0]?.prev_hash).toBeNull()
      for (let index = 1; index < rows.length; index++)
        expect(rows[index]?.prev_hash).toBe(rows[index - 1]?.hash)
      expect(await auditLog.verifyChain(task.id)).toEqual({ ok: true, entries: events.length })
    } finally {
      await replica.shutdown()
    }
  })

  it('verifyChain reports the first row whose content was changed', async () => {
    const task = taskSnapshot()
    const created = taskCreated(task)
    const updated = taskUpdated(task, 'renamed')
    await auditLog.handle(eventContext, created)
    await auditLog.handle(eventContext, updated)
    await auditLog.handle(eventContext, taskUpdated({ ...task, version: 2 }, 'renamed again'))
    await backend.query(`update audit.entries set actor = 'mallory' where event_id = $1`, [updated.id])
    const verdict = await auditLog.verifyChain(task.id)
    expect(verdict).toMatchObject({ ok: false, brokenAt: { eventId: updated.id, reason: 'content-changed' } })
  })

  it('verifyChain reports a removed row as a broken link', async () => {
    const task = taskSnapshot()
    const updated = taskUpdated(task, 'renamed')
    const last = taskUpdated({ ...task, version: 2 }, 'renamed again')
    for (const event of [taskCreated(task), updated, last]) await auditLog.handle(eventContext, event)
    await backend.query('delete from audit.entries where event_id = $1', [updated.id])
    expect(await auditLog.verifyChain(task.id)).toMatchObject({
      ok: false,
      brokenAt: { eventId: last.id, reason: 'link-broken' },
    })
  })

  describe('reads', () => {
    // Users of their own, so rows written by the other tests stay out of these results.
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(
      (name) => `${name}-${randomUUID().slice(0, 8)}`,
    ) as [string, string, string]
    const task = taskSnapshot({ createdBy: alice, assignee: bob, watchers: [carol] })
    const events = [
      taskCreated(task, alice),
      taskUpdated(task, 'second', bob),
      taskUpdated({ ...task, version: 2 }, 'third', carol),
    ]

    beforeAll(async () => {
      for (const event of events) await auditLog.handle(eventContext, event)
    })

    it("a task's trail is oldest first and paged by cursor", async () => {
      const first = await auditLog.handle(readContext(carol, { task: task.id }), undefined)
      expect(first.statusCode).toBe(200)
      const firstPage = first.body as Page
      expect(firstPage.entries.map((entry) => entry.eventId)).toEqual([events[0]!.id, events[1]!.id])
      expect(firstPage.entries[1]?.changes).toEqual({ title: { previous: task.title, current: 'second' } })
      const second = await auditLog.handle(
        readContext(carol, { task: task.id, cursor: firstPage.nextCursor! }),
        undefined,
      )
      expect((second.body as Page).entries.map((entry) => entry.eventId)).toEqual([events[2]!.id])
      expect((second.body as Page).nextCursor).toBeNull()
    })

    it('a user who is not creator, assignee or watcher gets 404 for the trail', async () => {
      const response = await auditLog.handle(readContext('mallory', { task: task.id }), undefined)
      expect(response.statusCode).toBe(404)
    })

    it('a search starts from the tasks the user may read (indexed): with none, no entry is read', async () => {
      const statements: string[] = []
      const pool = new pg.Pool({ connectionString: backend.url, max: 1 })
      const db = new Kysely<AuditTables>({
        dialect: new PostgresDialect({ pool }),
        log: (event) => {
          statements.push(event.query.sql)
        },
      }).withSchema('audit')
      try {
        const nobody = await searchEntries(db, { userId: 'nobody-at-all', limit: 10 })
        expect(nobody).toEqual({ entries: [], nextCursor: null })
        expect(statements).toHaveLength(1)
        expect(statements[0]).not.toContain('"entries"')
        expect(statements[0]).toContain('"task_readers"')

        const watcher = await searchEntries(db, { userId: carol, limit: 10 })
        expect(watcher.entries.map((entry) => entry.eventId)).toEqual(events.map((e) => e.id).reverse())
        const indexes = await backend.query(
          "select indexname from pg_indexes where schemaname = 'audit' and tablename = 'task_readers'",
        )
        expect(indexes.rows.map((row: { indexname: string }) => row.indexname)).toEqual(
          expect.arrayContaining([
            'task_readers_created_by',
            'task_readers_assignee',
            'task_readers_watchers',
          ]),
        )
      } finally {
        await db.destroy()
      }
    })

    it('a read without a bearer token is 401', async () => {
      expect((await auditLog.handle(readContext(undefined, { task: task.id }), undefined)).statusCode).toBe(
        401,
      )
    })

    it('search filters by actor and type and shows only visible tasks', async () => {
      const hidden = taskSnapshot({ createdBy: 'dave', assignee: null, watchers: [] })
      await auditLog.handle(eventContext, taskUpdated(hidden, 'secret', bob))
      const response = await auditLog.handle(
        readContext(carol, { actor: bob, type: EventTypes.TaskUpdated }),
        undefined,
      )
      expect(response.statusCode).toBe(200)
      expect((response.body as Page).entries.map((entry) => entry.eventId)).toEqual([events[1]!.id])
    })

    it('bad query parameters are a 400 problem naming the field', async () => {
      const response = await auditLog.handle(readContext(carol, { from: 'yesterday' }), undefined)
      expect(response.statusCode).toBe(400)
      expect(JSON.stringify(response.body)).toContain('"field":"from"')
      const badCursor = await auditLog.handle(readContext(carol, { cursor: 'nope' }), undefined)
      expect(badCursor.statusCode).toBe(400)
    })

    it('a forged cursor past the bigint range or a NUL in a filter is a 400, not a failed query', async () => {
      const pastBigint = Buffer.from('seq:9223372036854775808').toString('base64url')
      const queries: Record<string, string>[] = [
        { cursor: pastBigint },
        { task: task.id, cursor: pastBigint },
      ]
      for (const query of queries) {
        const response = await auditLog.handle(readContext(carol, query), undefined)
        expect(response.statusCode).toBe(400)
        expect(JSON.stringify(response.body)).toContain('"field":"cursor"')
      }
      for (const field of ['actor', 'type']) {
        const response = await auditLog.handle(readContext(carol, { [field]: 'a\u0000b' }), undefined)
        expect(response.statusCode).toBe(400)
        expect(JSON.stringify(response.body)).toContain(`"field":"${field}"`)
      }
    })
  })

  it('a PingSource purge tick removes rows past retention and the rest of the chain still verifies', async () => {
    const task = taskSnapshot()
    const created = taskCreated(task)
    const kept = taskUpdated(task, 'kept')
    await auditLog.handle(eventContext, created)
    // Age the first row past the 30-day retention, as if it had been recorded 40 days ago.
    await backend.query(
      `update audit.entries set recorded_at = now() - interval '40 days' where event_id = $1`,
      [created.id],
    )
    await auditLog.handle(eventContext, kept)
    now = new Date()
    const tick = {
      specversion: '1.0',
      id: randomUUID(),
      source: '/apis/v1/namespaces/taskflow/pingsources/audit-purge',
      type: 'dev.knative.sources.ping',
      data: { action: 'purge' },
    }
    const response = await auditLog.handle(eventContext, tick)
    expect(response.statusCode).toBe(200)
    expect((response.body as { purged: number }).purged).toBeGreaterThanOrEqual(1)
    expect((await rowsOf(task.id)).map((row) => row.event_id)).toEqual([kept.id])
    expect(await auditLog.verifyChain(task.id)).toEqual({ ok: true, entries: 1 })
  })

  it('a ping without the purge action is rejected with 422', async () => {
    const tick = {
      specversion: '1.0',
      id: randomUUID(),
      source: '/ping',
      type: 'dev.knative.sources.ping',
      data: { action: 'drop-all' },
    }
    expect((await auditLog.handle(eventContext, tick)).statusCode).toBe(422)
  })

  it('the schema lives in the database it was given', async () => {
    const tables = await backend.query(
      `select table_name from information_schema.tables where table_schema = 'audit' order by 1`,
    )
    expect(tables.rows.map((row: { table_name: string }) => row.table_name)).toEqual(
      expect.arrayContaining(['chain_anchors', 'entries', 'processed_events', 'task_readers']),
    )
  })
})
