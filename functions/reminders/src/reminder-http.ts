import type { Kysely } from 'kysely'
import { z } from 'zod'
import {
  authenticate,
  authProblem,
  type FunctionContext,
  type FunctionResponse,
  json,
  problem,
  queryParameter,
  type TokenVerifier,
} from '#kit'
import { reminderEventId } from './reminder-event.ts'
import type { ReminderTables } from './reminder-tables.ts'
import { readReminder } from './schedule-store.ts'

// A debugging read: `GET /?task=<id>` shows the task's reminder as the tick sees it. faas-js-runtime
// 4 routes only `/` (plus /health/* and /metrics), so the read is told apart by its query. It shows
// schedule times and ids only, but of one task: like every read it needs a bearer token, and a task the
// caller does not create, own or watch is a 404 (as unknown: existence is not revealed either).

const taskIdSchema = z.uuid()

export async function answerReminderRead(
  context: FunctionContext,
  options: { readonly db: Kysely<ReminderTables>; readonly now: Date; readonly verifyToken: TokenVerifier },
): Promise<FunctionResponse> {
  if (context.method !== 'GET')
    return problem(405, 'Method not allowed', 'send CloudEvents with POST, reads with GET /?task=<id>')
  const auth = await authenticate(context.headers, options.verifyToken)
  if (!auth.ok) return authProblem(auth.error)
  const parsed = taskIdSchema.safeParse(queryParameter(context, 'task'))
  if (!parsed.success) {
    return problem(400, 'Invalid query', 'the task query parameter must be a task id (UUID)', [
      { field: 'task', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ])
  }
  const view = await readReminder(
    options.db,
    { taskId: parsed.data, readerId: auth.caller.userId, now: options.now },
    reminderEventId,
  )
  if (!view) return problem(404, 'Not found', `no reminder of task ${parsed.data} for you`)
  return json(view)
}
