import { describe, expect, it } from 'vitest'
import { createEvent, EventTypes, isTaskChangeEvent, type TaskflowEvent } from '../../../events/src/index.ts'
import { ConfigError } from '../../../function-kit/src/index.ts'
import { readRemindersConfig } from '../../../functions/reminders/src/config.ts'
import { reminderDueEvent, reminderEventId } from '../../../functions/reminders/src/reminder-event.ts'
import { reminderScheduleOf } from '../../../functions/reminders/src/reminder-schedule.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

// The reminders function's pure parts: what a task event means for the schedule, the reminder.due
// event built from a claimed row, and the configuration.

function scheduleOf(event: TaskflowEvent) {
  if (!isTaskChangeEvent(event)) throw new Error(`${event.type} is not a task event`)
  return reminderScheduleOf(event)
}

describe('reminder schedule of a task event', () => {
  it('a created task with a remindAt schedules that instant', () => {
    const task = taskSnapshot({ remindAt: '2026-09-01T09:00:00+02:00' })
    const event = taskCreated(task)
    expect(scheduleOf(event)).toMatchObject({
      taskId: task.id,
      taskVersion: 1,
      remindAt: new Date('2026-09-01T07:00:00.000Z'),
      scheduledBy: event.id,
    })
  })

  it('a task marked done by an update, a completed and a deleted task have no reminder', () => {
    const task = taskSnapshot({ remindAt: '2026-09-01T09:00:00.000Z' })
    const doneByUpdate = createEvent({
      type: EventTypes.TaskUpdated,
      source: '/taskflow/api',
      data: {
        task: { ...task, status: 'done', version: 2 },
        changes: { status: { previous: 'open', current: 'done' } },
      },
    })
    const completed = createEvent({
      type: EventTypes.TaskCompleted,
      source: '/taskflow/api',
      data: { task: { ...task, status: 'done', version: 2 }, completedAt: task.updatedAt },
    })
    const deleted = createEvent({ type: EventTypes.TaskDeleted, source: '/taskflow/api', data: { task } })
    for (const event of [doneByUpdate, completed, deleted])
      expect(scheduleOf(event).remindAt, event.type).toBeNull()
  })
})

describe('reminder.due event', () => {
  const reminder = {
    taskId: '0198f0a2-6c1e-7000-8000-000000000001',
    remindAt: new Date('2026-09-01T07:00:00.000Z'),
    title: 'Call back',
    dueAt: null,
    assignee: null,
    watchers: ['carol'],
    createdBy: 'alice',
    scheduledBy: 'event-1',
    correlationId: 'corr-1',
  }

  it('is the same event every time it is built from the same row, so a retry dedupes', () => {
    const first = reminderDueEvent(reminder)
    const again = reminderDueEvent({ ...reminder, remindAt: new Date(reminder.remindAt) })
    expect({ ...again, traceparent: undefined }).toEqual({ ...first, traceparent: undefined })
    expect(first).toMatchObject({
      id: reminderEventId(reminder.taskId, reminder.remindAt),
      time: '2026-09-01T07:00:00.000Z',
      subject: reminder.taskId,
      partitionkey: reminder.taskId,
      causationid: 'event-1',
      correlationid: 'corr-1',
    })
  })
})

describe('reminders config', () => {
  it('defaults to the reminders schema, batches of 100 and no sink', () => {
    const config = readRemindersConfig({})
    expect(config).toMatchObject({
      REMINDERS_SCHEMA: 'reminders',
      REMINDERS_BATCH_SIZE: 100,
      LOG_LEVEL: 'info',
    })
    expect(config.K_SINK).toBeUndefined()
  })

  it('treats an empty K_SINK as unset, as Knative renders an unset key', () => {
    expect(readRemindersConfig({ K_SINK: '' }).K_SINK).toBeUndefined()
  })

  it('names every bad variable in one ConfigError', () => {
    let error: unknown
    try {
      readRemindersConfig({ K_SINK: 'not a url', REMINDERS_BATCH_SIZE: '0', K_CE_OVERRIDES: '[1]' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((issue) => issue.variable).sort()).toEqual([
      'K_CE_OVERRIDES',
      'K_SINK',
      'REMINDERS_BATCH_SIZE',
    ])
  })

  it('parses K_CE_OVERRIDES into extensions', () => {
    expect(readRemindersConfig({ K_CE_OVERRIDES: '{"extensions":{"cluster":"eu"}}' }).K_CE_OVERRIDES).toEqual(
      {
        extensions: { cluster: 'eu' },
      },
    )
  })
})
