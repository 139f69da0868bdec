// The write use cases. Each runs in one transaction that changes the task row AND writes its event
// into the outbox, so an event exists exactly when its change committed.
import type { Kysely, Transaction } from 'kysely'
import {
  createEvent,
  type EventType,
  EventTypes,
  type TaskflowEvent,
  uuidv7,
} from '../../../events/src/index.ts'
import type { TasksDatabase } from '../database.ts'
import { type IfMatch, ifMatchAllows } from '../http/preconditions.ts'
import type { OutboxCommitSignal } from '../outbox/commit-signal.ts'
import { enqueueEvent, outboxRow } from '../outbox/outbox-writer.ts'
import { fail, problems } from '../problem.ts'
import type { CreateGroupCommit } from './create-group-commit.ts'
import { claimIdempotencyKey, type IdempotencyRequest } from './idempotency.ts'
import { completeTask, createTask, diffTasks, updateTask } from './task-changes.ts'
import { rowFromTask, taskFromRow } from './task-rows.ts'
import type { CreateTaskBody, Task, UpdateTaskBody } from './task-schemas.ts'
import { deleteTask, insertTask, lockVisibleTask, saveTask } from './task-store.ts'

export type CommandContext = {
  db: Kysely<TasksDatabase>
  topic: string
  source: string
  userId: string
  /** X-Request-Id, or one we made: the events' correlationid and causationid. */
  requestId: string
  /** Told after a commit that wrote outbox rows: the relay publishing them does it at once. */
  outbox: OutboxCommitSignal
  /** Where creations without an Idempotency-Key are committed, several in one statement under load. */
  creations: CreateGroupCommit
  now?: () => Date
}

export type CreateOutcome = { status: number; body: Task; replayed: boolean }

export async function createTaskCommand(
  ctx: CommandContext,
  body: CreateTaskBody,
  idempotency: IdempotencyRequest | undefined,
): Promise<CreateOutcome> {
  const built = createTask(body, { id: uuidv7(), userId: ctx.userId, now: clock(ctx) })
  if (!built.ok) fail(problems.validation(built.errors))
  const task = built.task
  if (idempotency === undefined) {
    // One statement, shared with concurrent creations (create-group-commit.ts): the task insert rides
    // in a data-modifying CTE of the outbox insert, atomic without BEGIN/COMMIT around two inserts.
    const event = outboxRow(ctx.topic, taskEvent(ctx, EventTypes.TaskCreated, { task }))
    await ctx.creations.create({ task: rowFromTask(task, null), event })
    ctx.outbox.committed([event.lane])
    return { status: 201, body: task, replayed: false }
  }
  const outcome = await ctx.db
    .transaction()
    .execute(async (trx): Promise<CreateOutcome & { lane?: number }> => {
      const claim = await claimIdempotencyKey(trx, ctx.userId, idempotency, {
        status: 201,
        body: task,
        taskId: task.id,
      })
      if (claim.kind === 'replay') return { status: claim.status, body: claim.body as Task, replayed: true }
      if (claim.kind === 'conflict') fail(problems.idempotencyKeyReused())
      await insertTask(trx, rowFromTask(task, null))
      const lane = await emit(trx, ctx, EventTypes.TaskCreated, { task })
      return { status: 201, body: task, replayed: false, lane }
    })
  if (outcome.lane !== undefined) ctx.outbox.committed([outcome.lane])
  return { status: outcome.status, body: outcome.body, replayed: outcome.replayed }
}

export async function updateTaskCommand(
  ctx: CommandContext,
  id: string,
  body: UpdateTaskBody,
  ifMatch: IfMatch,
): Promise<Task> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const current = await lockedTask(trx, ctx, id, ifMatch)
    const next = updateTask(current, body, clock(ctx))
    if (!next.ok) fail(problems.validation(next.errors))
    const changes = diffTasks(current, next.task)
    // A PATCH that changes nothing is answered with the task as is: no new version, no event.
    if (Object.keys(changes).length === 0) return { task: current, lane: undefined }
    await saveTask(trx, rowFromTask(next.task, null))
    const lane = await emit(trx, ctx, EventTypes.TaskUpdated, { task: next.task, changes })
    return { task: next.task, lane }
  })
  if (result.lane !== undefined) ctx.outbox.committed([result.lane])
  return result.task
}

export async function completeTaskCommand(
  ctx: CommandContext,
  id: string,
  ifMatch: IfMatch | undefined,
): Promise<Task> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const current = await lockedTask(trx, ctx, id, ifMatch)
    // Completing twice is a retry, not a conflict: answer with the task, emit nothing new.
    if (current.status === 'done') return { task: current, lane: undefined }
    const now = clock(ctx)
    const done = completeTask(current, now)
    await saveTask(trx, rowFromTask(done, now))
    const lane = await emit(trx, ctx, EventTypes.TaskCompleted, {
      task: { ...done, status: 'done' as const },
      completedAt: now.toISOString(),
    })
    return { task: done, lane }
  })
  if (result.lane !== undefined) ctx.outbox.committed([result.lane])
  return result.task
}

export async function deleteTaskCommand(
  ctx: CommandContext,
  id: string,
  ifMatch: IfMatch | undefined,
): Promise<void> {
  const lane = await ctx.db.transaction().execute(async (trx) => {
    const current = await lockedTask(trx, ctx, id, ifMatch)
    await deleteTask(trx, id)
    return emit(trx, ctx, EventTypes.TaskDeleted, { task: current })
  })
  ctx.outbox.committed([lane])
}

async function lockedTask(
  trx: Transaction<TasksDatabase>,
  ctx: CommandContext,
  id: string,
  ifMatch: IfMatch | undefined,
): Promise<Task> {
  const row = await lockVisibleTask(trx, id, ctx.userId)
  if (row === undefined) fail(problems.notFound(`No task ${id}`))
  if (ifMatch !== undefined && !ifMatchAllows(ifMatch, row.version))
    fail(problems.versionConflict(row.version))
  return taskFromRow(row)
}

/** Writes the event's outbox row; returns its lane, for the commit signal once the transaction committed. */
async function emit<T extends EventType>(
  trx: Transaction<TasksDatabase>,
  ctx: CommandContext,
  type: T,
  data: Parameters<typeof createEvent<T>>[0]['data'],
): Promise<number> {
  const row = outboxRow(ctx.topic, taskEvent(ctx, type, data))
  await enqueueEvent(trx, row)
  return row.lane
}

function taskEvent<T extends EventType>(
  ctx: CommandContext,
  type: T,
  data: Parameters<typeof createEvent<T>>[0]['data'],
): TaskflowEvent {
  const taskId = (data as { task: Task }).task.id
  return createEvent({
    type,
    source: ctx.source,
    subject: taskId,
    // The record key: every event of one task lands in one partition, in order.
    partitionKey: taskId,
    data,
    actor: ctx.userId,
    correlationId: ctx.requestId,
    causationId: ctx.requestId,
  }) as TaskflowEvent
}

function clock(ctx: CommandContext): Date {
  return ctx.now?.() ?? new Date()
}
