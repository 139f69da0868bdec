import { randomUUID } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest'
import {
  type CloudEventRecord,
  createEvent,
  EventTypes,
  type TaskflowEvent,
  type TaskSnapshot,
} from '../../../events/src/index.ts'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { reminderEventId } from '../../../functions/reminders/src/reminder-event.ts'
import type { ReminderTables } from '../../../functions/reminders/src/reminder-tables.ts'
import { createReminders, type RemindersFunction } from '../../../functions/reminders/src/reminders.ts'
import { claimDue, markFired, releaseClaim } from '../../../functions/reminders/src/schedule-store.ts'
import { reminderTick } from '../../support/ping-tick.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { eventContext, readContext, taskCreated, taskSnapshot } from '../../support/task-events.ts'

// handle() called directly, as faas-js-runtime would, on both database backends, emitting to a real
// local HTTP sink that records what it accepted.

// Starting PGlite (WASM, initdb) in describeEachDatabase's hook outlasts the unit project's 10 s
// hook timeout when the two cores are busy.
vi.setConfig({ hookTimeout: 60_000 })

function nextVersion(task: TaskSnapshot, changes: Partial<TaskSnapshot>): TaskSnapshot {
  return { ...task, ...changes, version: task.version + 1 }
}

function taskUpdatedTo(previous: TaskSnapshot, task: TaskSnapshot): TaskflowEvent {
  return createEvent({
    type: EventTypes.TaskUpdated,
    source: '/taskflow/api',
    data: { task, changes: { remindAt: { previous: previous.remindAt, current: task.remindAt } } },
    actor: 'bob',
  })
}

function taskCompleted(task: TaskSnapshot): TaskflowEvent {
  return createEvent({
    type: EventTypes.TaskCompleted,
    source: '/taskflow/api',
    data: { task: { ...task, status: 'done' }, completedAt: task.updatedAt },
  })
}

function taskDeleted(task: TaskSnapshot): TaskflowEvent {
  return createEvent({ type: EventTypes.TaskDeleted, source: '/taskflow/api', data: { task } })
}

await describeEachDatabase('reminders handle()', (backend) => {
  let sink: RecordingSink
  let reminders: RemindersFunction
  // The clock that decides what is due; each test moves it forward, past everything it schedules.
  let now = new Date('2026-09-01T12:00:00.000Z')

  function create(env: Record<string, string> = {}): RemindersFunction {
    return createReminders({
      config: readRemindersConfig({ DATABASE_URL: backend.url, K_SINK: sink.url, ...env }),
      now: () => now,
    })
  }

  beforeAll(async () => {
    // A KafkaSink stand-in that records the CloudEvents it accepted.
    sink = await startRecordingSink({ cloudEventsOnly: true })
    reminders = create({ REMINDERS_BATCH_SIZE: '3' })
    await reminders.init()
  }, 60_000)
  afterAll(async () => {
    await reminders?.shutdown()
    await sink?.close()
  })
  beforeEach(() => {
    now = new Date(now.getTime() + 24 * 60 * 60 * 1000)
    sink.reply = () => ({ status: 202 })
  })

  /** Moves the test's clock forward. */
  function passMinutes(minutes: number): void {
    now = new Date(now.getTime() + minutes * 60_000)
  }
  /** A time `minutes` from the test's clock (negative: in the past). */
  function at(minutes: number): string {
    return new Date(now.getTime() + minutes * 60_000).toISOString()
  }
  function emittedFor(taskId: string): CloudEventRecord[] {
    return sink.accepted.filter((event) => (event.data as { taskId?: string }).taskId === taskId)
  }
  async function handle(event: object) {
    return reminders.handle(eventContext, event)
  }
  async function rowOf(taskId: string) {
    const result = await backend.query(
      'select task_version, remind_at, fired_remind_at from reminders.reminders where task_id = $1',
      [taskId],
    )
    return result.rows[0] as
      | { task_version: number; remind_at: Date | null; fired_remind_at: Date | null }
      | undefined
  }

  it("a task event fires only its own due reminder; the tick fires another task's that is still due", async () => {
    const first = taskSnapshot({ remindAt: at(-5) })
    sink.reply = () => ({ status: 500 })
    expect((await handle(taskCreated(first))).statusCode).toBe(200)
    expect(emittedFor(first.id)).toHaveLength(0)
    sink.reply = () => ({ status: 202 })
    const second = taskSnapshot({ remindAt: at(-1) })
    expect((await handle(taskCreated(second))).statusCode).toBe(200)
    expect(emittedFor(second.id)).toHaveLength(1)
    expect(emittedFor(first.id)).toHaveLength(0)
    expect((await handle(reminderTick())).statusCode).toBe(200)
    expect(emittedFor(first.id)).toHaveLength(1)
  })

  it('a tick fires what comes due within its lead (30 s), and nothing later', async () => {
    const soon = taskSnapshot({ remindAt: new Date(now.getTime() + 25_000).toISOString(), dueAt: at(60) })
    const later = taskSnapshot({ remindAt: new Date(now.getTime() + 35_000).toISOString(), dueAt: at(60) })
    expect((await handle(taskCreated(soon))).statusCode).toBe(200)
    expect((await handle(taskCreated(later))).statusCode).toBe(200)
    expect((await handle(reminderTick())).statusCode).toBe(200)
    expect(emittedFor(soon.id)).toHaveLength(1)
    expect(emittedFor(later.id)).toHaveLength(0)
    // The next minute's tick fires the other, 25 s after its time: within 30 s either side.
    now = new Date(now.getTime() + 60_000)
    expect((await handle(reminderTick())).statusCode).toBe(200)
    expect(emittedFor(later.id)).toHaveLength(1)
    expect(emittedFor(soon.id)).toHaveLength(1)
  })

  it('with REMINDERS_LEAD_SECONDS=0 a tick fires only what is already due', async () => {
    const strict = create({ REMINDERS_LEAD_SECONDS: '0' })
    await strict.init()
    try {
      const task = taskSnapshot({ remindAt: new Date(now.getTime() + 5_000).toISOString(), dueAt: at(60) })
      expect((await strict.handle(eventContext, taskCreated(task))).statusCode).toBe(200)
      expect((await strict.handle(eventContext, reminderTick())).statusCode).toBe(200)
      expect(emittedFor(task.id)).toHaveLength(0)
      now = new Date(now.getTime() + 5_000)
      expect((await strict.handle(eventContext, reminderTick())).statusCode).toBe(200)
      expect(emittedFor(task.id)).toHaveLength(1)
    } finally {
      await strict.shutdown()
    }
  })

  it('a created task with a remindAt is scheduled and fires on the first tick after it, once', async () => {
    const task = taskSnapshot({ remindAt: at(5), dueAt: at(60) })
    const created = taskCreated(task)
    expect((await handle(created)).statusCode).toBe(200)

    expect((await handle(reminderTick())).statusCode).toBe(200)
    expect(emittedFor(task.id)).toHaveLength(0)

    now = new Date(now.getTime() + 5 * 60_000)
    const fired = await handle(reminderTick())
    expect(fired.statusCode).toBe(200)
    const [event, ...more] = emittedFor(task.id)
    expect(more).toHaveLength(0)
    expect(event).toMatchObject({
      type: 'dev.taskflow.reminder.due',
      source: '/taskflow/reminders',
      id: reminderEventId(task.id, new Date(task.remindAt!)),
      subject: task.id,
      time: task.remindAt,
      causationid: created.id,
      data: {
        taskId: task.id,
        title: task.title,
        remindAt: task.remindAt,
        dueAt: task.dueAt,
        assignee: 'bob',
        watchers: ['carol'],
        createdBy: 'alice',
      },
    })

    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(1)
  })

  it('the event id is deterministic: the same task and remindAt give the same id, another time another', () => {
    const taskId = randomUUID()
    const time = new Date('2026-09-01T08:00:00.000Z')
    expect(reminderEventId(taskId, time)).toBe(reminderEventId(taskId.toUpperCase(), new Date(time)))
    expect(reminderEventId(taskId, time)).not.toBe(reminderEventId(taskId, new Date(time.getTime() + 1)))
    expect(reminderEventId(taskId, time)).toMatch(/^[0-9a-f-]{8}-[0-9a-f-]{4}-5/)
  })

  it('a remindAt already past, or within the lead, fires when scheduled, not a tick later', async () => {
    const past = taskSnapshot({ remindAt: at(-90) })
    const soon = taskSnapshot({ remindAt: new Date(now.getTime() + 20_000).toISOString() })
    await handle(taskCreated(past))
    await handle(taskCreated(soon))
    expect(emittedFor(past.id).map((event) => event.id)).toEqual([
      reminderEventId(past.id, new Date(past.remindAt!)),
    ])
    expect(emittedFor(soon.id)).toHaveLength(1)
    await handle(reminderTick())
    expect(emittedFor(past.id)).toHaveLength(1)
    expect(emittedFor(soon.id)).toHaveLength(1)
  })

  it('an update moving remindAt reschedules: the old time does not fire, the new one does', async () => {
    const task = taskSnapshot({ remindAt: at(5) })
    await handle(taskCreated(task))
    const moved = nextVersion(task, { remindAt: at(30) })
    await handle(taskUpdatedTo(task, moved))

    now = new Date(now.getTime() + 10 * 60_000)
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(0)
    now = new Date(now.getTime() + 20 * 60_000)
    await handle(reminderTick())
    expect(emittedFor(task.id).map((event) => event.id)).toEqual([
      reminderEventId(task.id, new Date(moved.remindAt!)),
    ])
  })

  it('an update that clears remindAt cancels the reminder', async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    await handle(taskCreated(task))
    await handle(taskUpdatedTo(task, nextVersion(task, { remindAt: null })))
    passMinutes(3)
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(0)
    expect((await rowOf(task.id))?.remind_at).toBeNull()
  })

  it('completing or deleting a task cancels its reminder', async () => {
    const completedTask = taskSnapshot({ remindAt: at(2) })
    const deletedTask = taskSnapshot({ remindAt: at(2) })
    await handle(taskCreated(completedTask))
    await handle(taskCreated(deletedTask))
    expect((await handle(taskCompleted(nextVersion(completedTask, { status: 'done' })))).statusCode).toBe(200)
    expect((await handle(taskDeleted(nextVersion(deletedTask, {})))).statusCode).toBe(200)
    passMinutes(3)
    await handle(reminderTick())
    expect(emittedFor(completedTask.id)).toHaveLength(0)
    expect(emittedFor(deletedTask.id)).toHaveLength(0)
  })

  it('an event older than the version applied is ignored: a redelivered create cannot undo a cancel', async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    const created = taskCreated(task)
    await handle(created)
    await handle(taskUpdatedTo(task, nextVersion(task, { remindAt: null })))
    // The same snapshot under a new event id (a replay the inbox cannot recognise): version 1 < 2.
    const replayed = await handle(taskCreated(task))
    expect(replayed.statusCode).toBe(200)
    expect(replayed.body).toMatchObject({ result: 'stale' })
    passMinutes(3)
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(0)
    expect(await rowOf(task.id)).toMatchObject({ task_version: 2, remind_at: null })
  })

  it('events of many tasks arriving together are applied together, each once, an older version stale', async () => {
    const tasks = Array.from({ length: 10 }, () => taskSnapshot({ remindAt: at(5) }))
    const cancelled = tasks[0]!
    await handle(taskCreated(cancelled))
    await handle(taskUpdatedTo(cancelled, nextVersion(cancelled, { remindAt: null })))
    const created = tasks.slice(1).map((task) => taskCreated(task))
    const [stale, ...answers] = await Promise.all(
      [taskCreated(cancelled), ...created, { ...created[0]! }].map((event) => handle(event)),
    )
    expect(stale?.body).toMatchObject({ result: 'stale' })
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([...created.map(() => 200), 204])
    for (const task of tasks.slice(1))
      expect(await rowOf(task.id)).toMatchObject({ task_version: 1, remind_at: new Date(task.remindAt!) })
    expect(await rowOf(cancelled.id)).toMatchObject({ task_version: 2, remind_at: null })
  })

  it('a redelivered event (same source and id) has no second effect', async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    const created = taskCreated(task)
    expect((await handle(created)).statusCode).toBe(200)
    passMinutes(3)
    await handle(reminderTick())
    expect((await handle({ ...created })).statusCode).toBe(204)
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(1)
  })

  it('an edit that keeps remindAt does not fire the same reminder again, and it carries the new title', async () => {
    const task = taskSnapshot({ remindAt: at(10) })
    await handle(taskCreated(task))
    const renamed = nextVersion(task, { title: 'Renamed before the reminder' })
    await handle(taskUpdatedTo(task, renamed))
    now = new Date(now.getTime() + 10 * 60_000)
    await handle(reminderTick())
    await handle(taskUpdatedTo(renamed, nextVersion(renamed, { title: 'Renamed after' })))
    await handle(reminderTick())
    expect(emittedFor(task.id).map((event) => (event.data as { title: string }).title)).toEqual([
      'Renamed before the reminder',
    ])
  })

  it('a tick fires every due reminder across several batches', async () => {
    const tasks = Array.from({ length: 7 }, () => taskSnapshot({ remindAt: at(2) }))
    for (const task of tasks) await handle(taskCreated(task))
    passMinutes(3)
    const response = await handle(reminderTick())
    expect(response.statusCode).toBe(200)
    expect((response.body as { batches: number }).batches).toBeGreaterThanOrEqual(3)
    for (const task of tasks) expect(emittedFor(task.id)).toHaveLength(1)
  })

  it('a sink answering 5xx makes the tick answer 503 and leaves the reminder due for the next tick', async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    await handle(taskCreated(task))
    passMinutes(3)
    sink.reply = () => ({ status: 500 })
    const failed = await handle(reminderTick())
    expect(failed.statusCode).toBe(503)
    expect(emittedFor(task.id)).toHaveLength(0)
    expect((await rowOf(task.id))?.fired_remind_at).toBeNull()
    const read = await reminders.handle(readContext(task.createdBy, { task: task.id }))
    expect(read.body).toMatchObject({ state: 'pending' })

    sink.reply = () => ({ status: 202 })
    expect((await handle(reminderTick())).statusCode).toBe(200)
    expect(emittedFor(task.id).map((event) => event.id)).toEqual([
      reminderEventId(task.id, new Date(task.remindAt!)),
    ])
  })

  it('two replicas ticking at once never fire one reminder twice', async () => {
    const other = create({ REMINDERS_BATCH_SIZE: '2' })
    await other.init()
    try {
      const tasks = Array.from({ length: 12 }, () => taskSnapshot({ remindAt: at(2) }))
      for (const task of tasks) await handle(taskCreated(task))
      passMinutes(3)
      // The sink waits before answering, so concurrent ticks overlap.
      sink.reply = () => ({ status: 202, delayMs: 15 })
      const responses = await Promise.all([
        handle(reminderTick()),
        other.handle(eventContext, reminderTick()),
        handle(reminderTick()),
        other.handle(eventContext, reminderTick()),
      ])
      expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200])
      for (const task of tasks) expect(emittedFor(task.id), task.id).toHaveLength(1)
      const fired = responses.map((response) => (response.body as { fired: number }).fired)
      expect(fired.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(tasks.length)
    } finally {
      await other.shutdown()
    }
  })

  it("a crashed tick's claim lapses after REMINDERS_CLAIM_SECONDS and a later tick fires the reminder", async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    await handle(taskCreated(task))
    passMinutes(3)
    // What a replica that claimed the reminder and died before the sink answered leaves behind.
    await backend.query(
      `update reminders.reminders set claim_id = $2, claimed_until = $3 where task_id = $1`,
      [task.id, randomUUID(), new Date(now.getTime() + 120_000)],
    )
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(0)
    now = new Date(now.getTime() + 121_000)
    await handle(reminderTick())
    expect(emittedFor(task.id)).toHaveLength(1)
  })

  it('a reschedule while a tick is emitting the old time keeps the new time due', async () => {
    const task = taskSnapshot({ remindAt: at(2) })
    await handle(taskCreated(task))
    passMinutes(3)
    const db = new Kysely<ReminderTables>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: backend.url, max: 1 }) }),
    }).withSchema('reminders')
    try {
      const claim = await claimDue(db, 'reminders', { now, limit: 1000, claimMs: 60_000 })
      expect(claim.reminders.map((reminder) => reminder.taskId)).toContain(task.id)
      // Moved beyond the lead, so the update schedules it for a tick instead of firing it.
      const moved = nextVersion(task, { remindAt: at(1) })
      await handle(taskUpdatedTo(task, moved))
      // The tick's sink answered for the old time only now: the claim was dropped by the reschedule.
      await markFired(db, claim.claimId, [task.id])
      await releaseClaim(
        db,
        claim.claimId,
        claim.reminders.map((reminder) => reminder.taskId).filter((id) => id !== task.id),
      )
      expect(await rowOf(task.id)).toMatchObject({
        fired_remind_at: null,
        remind_at: new Date(moved.remindAt!),
      })
      passMinutes(2)
      await handle(reminderTick())
      expect(emittedFor(task.id).map((event) => event.id)).toEqual([
        reminderEventId(task.id, new Date(moved.remindAt!)),
      ])
    } finally {
      await db.destroy()
    }
  })

  it('GET /?task= shows the pending reminder with the id it will be emitted with', async () => {
    const task = taskSnapshot({ remindAt: at(45) })
    await handle(taskCreated(task))
    const read = await reminders.handle(readContext(task.createdBy, { task: task.id }))
    expect(read.statusCode).toBe(200)
    expect(read.body).toEqual({
      taskId: task.id,
      taskVersion: 1,
      remindAt: task.remindAt,
      firedRemindAt: null,
      state: 'pending',
      eventId: reminderEventId(task.id, new Date(task.remindAt!)),
    })
    const unknown = await reminders.handle(readContext('alice', { task: randomUUID() }))
    expect(unknown.statusCode).toBe(404)
    const bad = await reminders.handle(readContext('alice', { task: 'nope' }))
    expect(bad.statusCode).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('"field":"task"')
  })

  it('events of other kinds on the topic are acknowledged without a schedule', async () => {
    const taskId = randomUUID()
    const reminder = createEvent({
      type: EventTypes.ReminderDue,
      source: '/taskflow/reminders',
      data: {
        taskId,
        title: 't',
        remindAt: at(-1),
        dueAt: null,
        assignee: null,
        watchers: [],
        createdBy: 'alice',
      },
    })
    expect((await handle(reminder)).statusCode).toBe(204)
    expect(await rowOf(taskId)).toBeUndefined()
  })

  it('a ping without the tick action is rejected with 422, a malformed task event with 422', async () => {
    expect((await handle(reminderTick({ action: 'purge' }))).statusCode).toBe(422)
    const task = taskSnapshot()
    const poison = { ...taskCreated(task), data: { task: { ...task, remindAt: 'tomorrow' } } }
    const response = await handle(poison)
    expect(response.statusCode).toBe(422)
    expect(JSON.stringify(response.body)).toContain('data.task.remindAt')
  })

  it('without K_SINK a tick is refused with 503 and nothing is marked fired', async () => {
    const unsinked = createReminders({
      config: readRemindersConfig({ DATABASE_URL: backend.url }),
      now: () => now,
    })
    await unsinked.init()
    try {
      const task = taskSnapshot({ remindAt: at(-1) })
      expect((await unsinked.handle(eventContext, taskCreated(task))).statusCode).toBe(200)
      const refused = await unsinked.handle(eventContext, reminderTick())
      expect(refused.statusCode).toBe(503)
      expect(JSON.stringify(refused.body)).toContain('K_SINK')
      expect((await rowOf(task.id))?.fired_remind_at).toBeNull()
    } finally {
      await unsinked.shutdown()
    }
  })
})
