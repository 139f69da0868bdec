// /tasks over HTTP: parse and check the request, run the command, answer with the task and its ETag.
import { type Request, type Response, Router } from 'express'
import type { Kysely } from 'kysely'
import type { PrepareStatement } from '../../../db/src/index.ts'
import type { TasksDatabase } from '../database.ts'
import { jsonBody } from '../http/json-body.ts'
import { methodNotAllowed } from '../http/method-not-allowed.ts'
import { etagOf, parseIfMatch } from '../http/preconditions.ts'
import { parseInput } from '../http/validate.ts'
import type { OutboxCommitSignal } from '../outbox/commit-signal.ts'
import { fail, problems } from '../problem.ts'
import { createGroupCommit } from './create-group-commit.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { idempotencyRequestOf } from './idempotency.ts'
import {
  type CommandContext,
  completeTaskCommand,
  createTaskCommand,
  deleteTaskCommand,
  updateTaskCommand,
} from './task-commands.ts'
import { taskFromRow } from './task-rows.ts'
import {
  createTaskBodySchema,
  emptyBodySchema,
  listTasksQuerySchema,
  type Task,
  taskIdParamsSchema,
  updateTaskBodySchema,
} from './task-schemas.ts'
import { findVisibleTask, listVisibleTasks } from './task-store.ts'

export type TaskRoutesOptions = {
  db: Kysely<TasksDatabase>
  /** DatabaseHandle.prepared, for the creations' group commit. */
  prepare: PrepareStatement
  topic: string
  eventSource: string
  bodyLimit: string
  /** How commits reach the outbox relay (commit-signal.ts). */
  outbox: OutboxCommitSignal
}

export function taskRoutes(options: TaskRoutesOptions): Router {
  const router = Router()
  const json = jsonBody(options.bodyLimit)
  const creations = createGroupCommit({ prepare: options.prepare })

  const contextOf = (req: Request): CommandContext => ({
    db: options.db,
    topic: options.topic,
    source: options.eventSource,
    userId: req.principal.userId,
    requestId: req.requestId,
    outbox: options.outbox,
    creations,
  })

  router
    .route('/tasks')
    .post(json, async (req, res) => {
      const body = parseInput(createTaskBodySchema, req.body, 'body')
      const idempotency = idempotencyRequestOf(req.get('idempotency-key'), req.body)
      const outcome = await createTaskCommand(contextOf(req), body, idempotency)
      if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true')
      res.location(`/tasks/${outcome.body.id}`)
      sendTask(res, outcome.body, outcome.status)
    })
    .get(async (req, res) => {
      const query = parseInput(listTasksQuerySchema, req.query, 'query')
      const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
      const rows = await listVisibleTasks(options.db, req.principal.userId, query, afterId)
      const page = rows.slice(0, query.limit).map(taskFromRow)
      const last = page.at(-1)
      res.json({
        items: page,
        nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.id) : null,
      })
    })
    .all(methodNotAllowed(['GET', 'POST']))

  router
    .route('/tasks/:id')
    .get(async (req, res) => {
      const { id } = taskId(req)
      const row = await findVisibleTask(options.db, id, req.principal.userId)
      if (row === undefined) fail(problems.notFound(`No task ${id}`))
      sendTask(res, taskFromRow(row))
    })
    .patch(json, async (req, res) => {
      const { id } = taskId(req)
      const body = parseInput(updateTaskBodySchema, req.body, 'body')
      const ifMatch = parseIfMatch(req.get('if-match'))
      if (ifMatch === undefined) fail(problems.preconditionRequired())
      sendTask(res, await updateTaskCommand(contextOf(req), id, body, ifMatch))
    })
    .delete(async (req, res) => {
      const { id } = taskId(req)
      await deleteTaskCommand(contextOf(req), id, parseIfMatch(req.get('if-match')))
      res.status(204).end()
    })
    .all(methodNotAllowed(['GET', 'PATCH', 'DELETE']))

  router
    .route('/tasks/:id/complete')
    .post(json, async (req, res) => {
      const { id } = taskId(req)
      if (req.body !== undefined) parseInput(emptyBodySchema, req.body, 'body')
      sendTask(res, await completeTaskCommand(contextOf(req), id, parseIfMatch(req.get('if-match'))))
    })
    .all(methodNotAllowed(['POST']))

  return router
}

function sendTask(res: Response, task: Task, status = 200): void {
  res.status(status).setHeader('ETag', etagOf(task.version))
  res.json(task)
}

/** An id that is not a UUID names no task: 404, as for any task the user cannot see. */
function taskId(req: Request): { id: string } {
  const parsed = taskIdParamsSchema.safeParse(req.params)
  if (!parsed.success) fail(problems.notFound(`No task ${String(req.params.id)}`))
  return parsed.data
}
