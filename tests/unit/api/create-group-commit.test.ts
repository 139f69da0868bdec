import { randomUUID } from 'node:crypto'
import type { QueryResultRow } from 'pg'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import type { TasksDatabase } from '../../../api/src/database.ts'
import { outboxRow } from '../../../api/src/outbox/outbox-writer.ts'
import { createGroupCommit, type TaskCreation } from '../../../api/src/tasks/create-group-commit.ts'
import { rowFromTask } from '../../../api/src/tasks/task-rows.ts'
import type { DatabaseHandle, PrepareStatement } from '../../../db/src/index.ts'
import { createEvent, EventTypes, type TaskflowEvent } from '../../../events/src/index.ts'
import { openMigratedDatabase } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { taskSnapshot } from '../../support/task-events.ts'

vi.setConfig({ hookTimeout: 60_000 })

function creation(overrides: Parameters<typeof taskSnapshot>[0] = {}): TaskCreation {
  const task = taskSnapshot(overrides)
  const event = createEvent({ type: EventTypes.TaskCreated, source: '/taskflow/api', data: { task } })
  return { task: rowFromTask(task, null), event: outboxRow('task-events', event as TaskflowEvent) }
}

await describeEachDatabase('create group commit', (backend) => {
  let database: DatabaseHandle<TasksDatabase>
  beforeAll(async () => {
    database = await openMigratedDatabase(backend.url)
  })
  afterAll(async () => {
    await database?.close()
  })

  /** The handle's prepared statements, counting the runs: one per group commit. */
  const counted = () => {
    const counter = { statements: 0 }
    const prepare: PrepareStatement = <Row extends QueryResultRow>(name: string, text: string) => {
      const run = database.prepared<Row>(name, text)
      return (values) => {
        counter.statements++
        return run(values)
      }
    }
    return { counter, prepare }
  }
  const stored = async (ids: string[]) => {
    const tasks = await backend.query(
      'select count(*)::int as n from tasks.tasks where id = any($1::uuid[])',
      [ids],
    )
    const events = await backend.query(
      `select count(*)::int as n from tasks.outbox where key = any($1::text[])`,
      [ids],
    )
    return { tasks: tasks.rows[0].n as number, events: events.rows[0].n as number }
  }

  it('commits concurrent creations together, each with its event, in fewer statements than creations', async () => {
    const { counter, prepare } = counted()
    // The default: one statement in flight.
    const commits = createGroupCommit({ prepare })
    const creations = Array.from({ length: 40 }, () => creation())
    await Promise.all(creations.map((c) => commits.create(c)))
    expect(await stored(creations.map((c) => String(c.task.id)))).toEqual({ tasks: 40, events: 40 })
    // The first goes alone at once; the 39 that came while it ran share the next statement.
    expect(counter.statements).toBe(2)
  })

  it('a lone creation is committed at once, in a statement of its own', async () => {
    const { counter, prepare } = counted()
    const commits = createGroupCommit({ prepare })
    const one = creation()
    await commits.create(one)
    expect(await stored([String(one.task.id)])).toEqual({ tasks: 1, events: 1 })
    expect(counter.statements).toBe(1)
  })

  it('a creation the database refuses fails alone; the others of its statement are committed', async () => {
    const commits = createGroupCommit({ prepare: database.prepared, maxInFlight: 1 })
    const blocker = commits.create(creation())
    const good = Array.from({ length: 5 }, () => creation())
    // A task id already taken: refused by the primary key, whichever statement carries it.
    const taken = creation()
    await commits.create(taken)
    const duplicate = { ...creation(), task: { ...creation().task, id: taken.task.id } }
    const outcomes = await Promise.allSettled([
      blocker,
      ...good.map((c) => commits.create(c)),
      commits.create(duplicate),
    ])
    expect(outcomes.slice(0, 6).every((o) => o.status === 'fulfilled')).toBe(true)
    expect(outcomes[6]!.status).toBe('rejected')
    expect(await stored(good.map((c) => String(c.task.id)))).toEqual({ tasks: 5, events: 5 })
  })

  it('never holds more than maxInFlight statements, and keeps no creation waiting once one ends', async () => {
    const { counter, prepare } = counted()
    const commits = createGroupCommit({ prepare, maxInFlight: 2, maxBatch: 3 })
    const creations = Array.from({ length: 20 }, () => creation({ id: randomUUID() }))
    await Promise.all(creations.map((c) => commits.create(c)))
    expect(await stored(creations.map((c) => String(c.task.id)))).toEqual({ tasks: 20, events: 20 })
    // 2 alone, then 18 in batches of at most 3.
    expect(counter.statements).toBe(2 + 6)
  })

  it('stores every field of the task and of its event as given', async () => {
    const commits = createGroupCommit({ prepare: database.prepared })
    const full = creation({
      // What JSON.stringify escapes in the statement's document: quotes, backslashes, control
      // characters; and what it does not: non-ASCII, astral and line-separator characters.
      title: 'ship "v2" \\ with ü, 🚀, \u0001\u001f and \u2028',
      description: 'line one\nline two',
      status: 'in_progress',
      priority: 'urgent',
      dueAt: '2027-01-31T23:59:59.999Z',
      remindAt: '2027-01-31T09:00:00.000Z',
      assignee: 'bob@example.com',
      watchers: ['carol', 'dave|x'],
      tags: ['backend', 'q1-2027'],
      version: 3,
    })
    await commits.create(full)
    const task = await database.db
      .selectFrom('tasks.tasks')
      .selectAll()
      .where('id', '=', full.task.id)
      .executeTakeFirstOrThrow()
    expect(task).toEqual(full.task)
    const event = await database.db
      .selectFrom('tasks.outbox')
      .select(['event_id', 'lane', 'topic', 'key', 'headers', 'value', 'published_at', 'attempts'])
      .where('event_id', '=', full.event.event_id)
      .executeTakeFirstOrThrow()
    expect(event).toEqual({
      event_id: full.event.event_id,
      lane: full.event.lane,
      topic: full.event.topic,
      key: full.event.key,
      headers: JSON.parse(full.event.headers),
      value: full.event.value,
      published_at: null,
      attempts: 0,
    })
  })
})
