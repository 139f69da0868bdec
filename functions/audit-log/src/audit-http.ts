import type { Kysely } from 'kysely'
import { z } from 'zod'
import {
  authenticate,
  authProblem,
  decodeSeqCursor,
  type FunctionContext,
  type FunctionResponse,
  json,
  problem,
  queryParameter,
  type TokenVerifier,
} from '#kit'
import { readTaskTrail, searchEntries } from './audit-queries.ts'
import type { AuditTables } from './audit-tables.ts'

// The audit reads over plain HTTP on the function itself. faas-js-runtime 4 routes only `/` (plus
// /health/* and /metrics) and does not hand the request path to `handle`, so the two reads are told
// apart by query: `GET /?task=<id>` is a task's trail (oldest first), any other `GET /` a search.

const isoDateTime = z.iso.datetime({ offset: true })
// A filter compared with text columns: PostgreSQL text cannot hold NUL (the query would fail, a 500).
const textFilter = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => !value.includes('\u0000'), 'must not contain NUL')

const readQuerySchema = z.object({
  task: z.uuid().optional(),
  actor: textFilter.optional(),
  type: textFilter.optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).optional(),
})

export type AuditReadsOptions = {
  readonly db: Kysely<AuditTables>
  readonly verifyToken: TokenVerifier
  readonly pageSize: number
}

export async function answerAuditRead(
  context: FunctionContext,
  options: AuditReadsOptions,
): Promise<FunctionResponse> {
  if (context.method !== 'GET')
    return problem(405, 'Method not allowed', 'send CloudEvents with POST, reads with GET')
  const auth = await authenticate(context.headers, options.verifyToken)
  if (!auth.ok) return authProblem(auth.error)

  const raw = Object.fromEntries(
    ['task', 'actor', 'type', 'from', 'to', 'cursor', 'limit'].map((name) => [
      name,
      queryParameter(context, name),
    ]),
  )
  const parsed = readQuerySchema.safeParse(raw)
  if (!parsed.success) {
    return problem(
      400,
      'Invalid query',
      'see errors',
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    )
  }
  const query = parsed.data
  const cursorSeq = query.cursor === undefined ? undefined : decodeSeqCursor(query.cursor)
  if (query.cursor !== undefined && cursorSeq === undefined) {
    return problem(400, 'Invalid query', 'cursor is not one this service returned', [
      { field: 'cursor', message: 'unknown cursor' },
    ])
  }
  const limit = Math.min(query.limit ?? options.pageSize, options.pageSize)
  const userId = auth.caller.userId

  if (query.task !== undefined) {
    const trail = await readTaskTrail(options.db, { taskId: query.task, userId, afterSeq: cursorSeq, limit })
    // Unknown and not-yours look the same, so the answer does not reveal which tasks exist.
    if (trail === null) return problem(404, 'Not found', `no audit trail of task ${query.task} for you`)
    return json(trail)
  }
  return json(
    await searchEntries(options.db, {
      userId,
      actor: query.actor,
      type: query.type,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      beforeSeq: cursorSeq,
      limit,
    }),
  )
}
