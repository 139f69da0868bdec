import { describe, expect, it } from 'vitest'
import { completeTask, createTask, diffTasks, updateTask } from '../../../api/src/tasks/task-changes.ts'
import { taskSchema } from '../../../api/src/tasks/task-schemas.ts'
import { taskSnapshotSchema } from '../../../events/src/index.ts'

const now = new Date('2030-05-01T12:00:00Z')
const base = () => {
  const built = createTask(
    { title: 'Base', watchers: ['w1', 'w1', 'w2'], tags: ['x'] },
    { id: '0190f5d6-1c3a-7cc1-8a55-6a6fbfb2b6f1', userId: 'alice', now },
  )
  if (!built.ok) throw new Error('base task invalid')
  return built.task
}

describe('task changes', () => {
  it('a new task is a valid event snapshot and an API resource, with duplicates removed', () => {
    const task = base()
    expect(taskSnapshotSchema.parse(task)).toEqual(task)
    expect(taskSchema.parse(task)).toEqual(task)
    expect(task.watchers).toEqual(['w1', 'w2'])
    expect(task.version).toBe(1)
  })

  it('names each changed field with previous and current values, nothing else', () => {
    const task = base()
    const next = updateTask(
      task,
      { title: 'Renamed', tags: ['x'], assignee: 'bob' },
      new Date('2030-05-02T00:00:00Z'),
    )
    if (!next.ok) throw new Error('update rejected')
    expect(diffTasks(task, next.task)).toEqual({
      title: { previous: 'Base', current: 'Renamed' },
      assignee: { previous: null, current: 'bob' },
    })
    expect(next.task.version).toBe(2)
    expect(next.task.updatedAt).toBe('2030-05-02T00:00:00.000Z')
  })

  it('compares arrays by value and order', () => {
    const task = base()
    const reordered = updateTask(task, { watchers: ['w2', 'w1'] }, now)
    if (!reordered.ok) throw new Error('update rejected')
    expect(diffTasks(task, reordered.task)).toEqual({
      watchers: { previous: ['w1', 'w2'], current: ['w2', 'w1'] },
    })
  })

  it('derives remindAt from remindMinutesBefore against the new or the current due date', () => {
    const task = base()
    const withDue = updateTask(task, { dueAt: '2030-06-01T10:00:00+02:00', remindMinutesBefore: 60 }, now)
    if (!withDue.ok) throw new Error('update rejected')
    expect(withDue.task.dueAt).toBe('2030-06-01T08:00:00.000Z')
    expect(withDue.task.remindAt).toBe('2030-06-01T07:00:00.000Z')
    const later = updateTask(withDue.task, { remindMinutesBefore: 15 }, now)
    expect(later.ok && later.task.remindAt).toBe('2030-06-01T07:45:00.000Z')
  })

  it('refuses remindAt together with remindMinutesBefore, and an offset without a due date', () => {
    const task = base()
    const both = updateTask(
      task,
      { dueAt: '2030-06-01T10:00:00Z', remindAt: '2030-06-01T09:00:00Z', remindMinutesBefore: 5 },
      now,
    )
    expect(both).toEqual({
      ok: false,
      errors: [expect.objectContaining({ field: 'body.remindMinutesBefore' })],
    })
    expect(updateTask(task, { remindMinutesBefore: 5 }, now).ok).toBe(false)
  })

  it('completing sets status done and bumps the version', () => {
    const done = completeTask(base(), now)
    expect(done.status).toBe('done')
    expect(done.version).toBe(2)
  })
})
