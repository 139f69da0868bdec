// Pure task state transitions: building a new task, applying a PATCH, completing, and naming what
// changed with previous/current values (the `changes` of dev.taskflow.task.updated).
import type { FieldError } from '../problem.ts'
import type { CreateTaskBody, Task, UpdateTaskBody } from './task-schemas.ts'

export type TaskChange = { previous: Task[ChangeableField]; current: Task[ChangeableField] }
export type TaskChanges = Partial<Record<ChangeableField, TaskChange>>
export type ChangeableField =
  | 'title'
  | 'description'
  | 'status'
  | 'priority'
  | 'dueAt'
  | 'remindAt'
  | 'assignee'
  | 'watchers'
  | 'tags'

const changeableFields: readonly ChangeableField[] = [
  'title',
  'description',
  'status',
  'priority',
  'dueAt',
  'remindAt',
  'assignee',
  'watchers',
  'tags',
]

export type Transition = { ok: true; task: Task } | { ok: false; errors: FieldError[] }

export function createTask(
  body: CreateTaskBody,
  context: { id: string; userId: string; now: Date },
): Transition {
  const dueAt = utc(body.dueAt ?? null)
  const remind = resolveRemindAt(body, dueAt, null)
  if (!remind.ok) return remind
  const at = context.now.toISOString()
  return {
    ok: true,
    task: {
      id: context.id,
      title: body.title,
      description: body.description ?? null,
      status: body.status ?? 'open',
      priority: body.priority ?? 'normal',
      dueAt,
      remindAt: remind.remindAt,
      assignee: body.assignee ?? null,
      watchers: unique(body.watchers ?? []),
      tags: unique(body.tags ?? []),
      createdBy: context.userId,
      createdAt: at,
      updatedAt: at,
      version: 1,
    },
  }
}

export function updateTask(task: Task, body: UpdateTaskBody, now: Date): Transition {
  const dueAt = body.dueAt === undefined ? task.dueAt : utc(body.dueAt)
  const remind = resolveRemindAt(body, dueAt, task.remindAt)
  if (!remind.ok) return remind
  const next: Task = {
    ...task,
    ...(body.title === undefined ? {} : { title: body.title }),
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.status === undefined ? {} : { status: body.status }),
    ...(body.priority === undefined ? {} : { priority: body.priority }),
    ...(body.assignee === undefined ? {} : { assignee: body.assignee }),
    ...(body.watchers === undefined ? {} : { watchers: unique(body.watchers) }),
    ...(body.tags === undefined ? {} : { tags: unique(body.tags) }),
    dueAt,
    remindAt: remind.remindAt,
  }
  return { ok: true, task: bumped(next, now) }
}

export function completeTask(task: Task, now: Date): Task {
  return bumped({ ...task, status: 'done' }, now)
}

/** The fields whose values differ, each with its previous and current value; empty when nothing changed. */
export function diffTasks(previous: Task, current: Task): TaskChanges {
  const changes: TaskChanges = {}
  for (const field of changeableFields) {
    if (!sameValue(previous[field], current[field])) {
      changes[field] = { previous: previous[field], current: current[field] }
    }
  }
  return changes
}

function bumped(task: Task, now: Date): Task {
  return { ...task, updatedAt: now.toISOString(), version: task.version + 1 }
}

function resolveRemindAt(
  body: { remindAt?: string | null | undefined; remindMinutesBefore?: number | undefined },
  dueAt: string | null,
  current: string | null,
): { ok: true; remindAt: string | null } | { ok: false; errors: FieldError[] } {
  if (body.remindMinutesBefore !== undefined) {
    if (body.remindAt !== undefined) {
      return {
        ok: false,
        errors: [
          { field: 'body.remindMinutesBefore', reason: 'send remindAt or remindMinutesBefore, not both' },
        ],
      }
    }
    if (dueAt === null) {
      return {
        ok: false,
        errors: [{ field: 'body.remindMinutesBefore', reason: 'needs a dueAt to count back from' }],
      }
    }
    return {
      ok: true,
      remindAt: new Date(Date.parse(dueAt) - body.remindMinutesBefore * 60_000).toISOString(),
    }
  }
  return { ok: true, remindAt: body.remindAt === undefined ? current : utc(body.remindAt) }
}

function utc(value: string | null): string | null {
  return value === null ? null : new Date(value).toISOString()
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((value, i) => value === b[i])
  return a === b
}
