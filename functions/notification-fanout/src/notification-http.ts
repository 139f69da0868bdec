import type { Kysely } from 'kysely'
import { z } from 'zod'
import {
  authenticate,
  authProblem,
  decodeSeqCursor,
  type FieldError,
  type FunctionContext,
  type FunctionResponse,
  json,
  problem,
  queryParameter,
  type TokenVerifier,
} from '#kit'
import { listNotifications, markRead } from './notification-store.ts'
import type { NotificationStreamHub } from './notification-stream.ts'
import type { NotificationTables } from './notification-tables.ts'
import { readPreferences, writePreferences } from './preference-store.ts'
import { preferencesSchema, visiblePreferences } from './preferences.ts'

// The signed-in user's reads and writes over plain HTTP on the function itself. faas-js-runtime 4
// routes only GET and POST on `/`, so the query names what is asked (README.md, "HTTP contract"):
//   GET  /?view=list[&unread=true][&limit=n][&cursor=c]   newest first
//   GET  /?view=stream                                    text/event-stream (Last-Event-ID resumes)
//   GET  /?view=preferences
//   POST /?view=preferences   (PUT too, if a router forwards it) JSON body: the whole preferences
//   POST /?action=read&id=<notificationId>

const listQuerySchema = z.object({
  unread: z.enum(['true', 'false']).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).optional(),
})

const readActionSchema = z.object({ id: z.string().min(1).max(200) })
// Notification ids are UUIDs (v5 of the cause event and recipient): anything else names none, and is
// not sent to the database (a NUL in it would fail the query, a 500).
const notificationIdSchema = z.uuid()

export type NotificationReadsOptions = {
  readonly db: Kysely<NotificationTables>
  readonly verifyToken: TokenVerifier
  readonly pageSize: number
  readonly streams: NotificationStreamHub
}

/** True for a request this module answers (rather than a CloudEvent). */
export function isUserRequest(context: FunctionContext): boolean {
  return (
    context.method === 'GET' ||
    queryParameter(context, 'view') !== undefined ||
    queryParameter(context, 'action') !== undefined
  )
}

export async function answerUserRequest(
  context: FunctionContext,
  body: unknown,
  options: NotificationReadsOptions,
): Promise<FunctionResponse> {
  const auth = await authenticate(context.headers, options.verifyToken)
  if (!auth.ok) return authProblem(auth.error)
  const userId = auth.caller.userId
  const method = context.method ?? 'GET'
  const action = queryParameter(context, 'action')
  const view = queryParameter(context, 'view') ?? (action === undefined ? 'list' : undefined)

  if (action === 'read' && method === 'POST') {
    const parsed = readActionSchema.safeParse({ id: queryParameter(context, 'id') })
    if (!parsed.success) return invalid(parsed.error)
    const { found } = notificationIdSchema.safeParse(parsed.data.id).success
      ? await markRead(options.db, userId, parsed.data.id)
      : { found: false }
    return found
      ? { statusCode: 204, headers: {}, body: '' }
      : problem(404, 'Not found', `no notification ${parsed.data.id} for you`)
  }
  if (action !== undefined)
    return problem(400, 'Unknown action', `action=${action} with ${method} is not supported`)

  if (view === 'list' && method === 'GET') return list(context, userId, options)
  if (view === 'stream' && method === 'GET') {
    const lastEventId = headerOf(context, 'last-event-id')
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      },
      body: await options.streams.open(userId, lastEventId),
    }
  }
  if (view === 'preferences' && method === 'GET') {
    const preferences = (await readPreferences(options.db, [userId])).get(userId)!
    return json(visiblePreferences(preferences))
  }
  if (view === 'preferences' && (method === 'POST' || method === 'PUT')) {
    const parsed = preferencesSchema.safeParse(bodyAsJson(body ?? context.body))
    if (!parsed.success) return invalid(parsed.error, 'Invalid preferences')
    await writePreferences(options.db, userId, parsed.data)
    return json(visiblePreferences(parsed.data))
  }
  return problem(
    view === undefined || !['list', 'stream', 'preferences'].includes(view) ? 400 : 405,
    'Unsupported request',
    `view=${view} with ${method} is not supported`,
  )
}

async function list(
  context: FunctionContext,
  userId: string,
  options: NotificationReadsOptions,
): Promise<FunctionResponse> {
  const parsed = listQuerySchema.safeParse({
    unread: queryParameter(context, 'unread'),
    cursor: queryParameter(context, 'cursor'),
    limit: queryParameter(context, 'limit'),
  })
  if (!parsed.success) return invalid(parsed.error)
  const beforeSeq = parsed.data.cursor === undefined ? undefined : decodeSeqCursor(parsed.data.cursor)
  if (parsed.data.cursor !== undefined && beforeSeq === undefined) {
    return problem(400, 'Invalid query', 'cursor is not one this service returned', [
      { field: 'cursor', message: 'unknown cursor' },
    ])
  }
  return json(
    await listNotifications(options.db, {
      recipient: userId,
      beforeSeq,
      unreadOnly: parsed.data.unread === 'true',
      limit: Math.min(parsed.data.limit ?? options.pageSize, options.pageSize),
    }),
  )
}

function invalid(error: z.ZodError, title = 'Invalid query'): FunctionResponse {
  const errors: FieldError[] = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }))
  return problem(400, title, errors.map((entry) => `${entry.field}: ${entry.message}`).join('; '), errors)
}

// faas-js-runtime parses application/json bodies; anything else arrives as a Buffer or string.
function bodyAsJson(body: unknown): unknown {
  if (Buffer.isBuffer(body)) body = body.toString('utf8')
  if (typeof body !== 'string') return body
  try {
    return JSON.parse(body)
  } catch {
    return Symbol.for('invalid-json')
  }
}

function headerOf(context: FunctionContext, name: string): string | undefined {
  const value = context.headers[name]
  return Array.isArray(value) ? value[0] : value
}
