// The functions' user-facing read routes, served under the API's one base URL. faas-js-runtime routes
// only `/` (GET and POST), and a Gateway API HTTPRoute cannot turn a path parameter into a query string,
// so the API authenticates the caller and forwards to the function's `GET /?...` contract, on a cluster
// (the function's cluster-local URL) exactly as locally (the function's activator). Forwarding a read
// wakes a scaled-to-zero function the way any request does on Knative. The function checks permissions
// itself (it owns the data); the caller's Authorization header goes along.
import { STATUS_CODES } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { type Request, type Response, Router } from 'express'
import type { Logger } from 'pino'
import { Agent, type Dispatcher } from 'undici'
import { jsonBody, rawJsonBody } from './http/json-body.ts'
import { methodNotAllowed } from './http/method-not-allowed.ts'
import { parseInput } from './http/validate.ts'
import { type Problem, ProblemError } from './problem.ts'
import { emptyBodySchema } from './tasks/task-schemas.ts'

export interface FunctionReadTargets {
  /** Base URL of the audit-log function (AUDIT_LOG_URL). */
  readonly auditLog?: string | undefined
  /** Base URL of the notification-fanout function (NOTIFICATIONS_URL). */
  readonly notifications?: string | undefined
  /** Open notification streams one user may hold on this replica (NOTIFICATION_STREAMS_PER_USER). */
  readonly streamsPerUser?: number
  /** Open notification streams on this replica, all users (NOTIFICATION_STREAMS_MAX). */
  readonly streamsMax?: number
  /** A read's whole time, waiting for a connection included (FUNCTION_READ_TIMEOUT_MS). */
  readonly timeoutMs?: number
}

type FunctionTarget = 'auditLog' | 'notifications'

const defaultLimits = { streamsPerUser: 5, streamsMax: 1_000, timeoutMs: 30_000 }

/** Counts open streams per user and in all, so one user's streams cannot take the replica's. */
class StreamSlots {
  readonly #perUser = new Map<string, number>()
  readonly perUser: number
  readonly max: number
  #total = 0
  constructor(perUser: number, max: number) {
    this.perUser = perUser
    this.max = max
  }

  /** A release function, or the reason there is no slot. */
  take(userId: string): (() => void) | string {
    const held = this.#perUser.get(userId) ?? 0
    if (held >= this.perUser) return `at most ${this.perUser} open notification streams per user`
    if (this.#total >= this.max) return 'this server holds as many notification streams as it may'
    this.#perUser.set(userId, held + 1)
    this.#total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#total--
      const left = (this.#perUser.get(userId) ?? 1) - 1
      if (left === 0) this.#perUser.delete(userId)
      else this.#perUser.set(userId, left)
    }
  }
}

interface Forward {
  readonly method: Dispatcher.HttpMethod
  /** Query parameters for the function's `/`, on top of the caller's own. */
  readonly query: Record<string, string>
  /** Server-Sent Events: no body timeout, flushed as they come. */
  readonly stream?: boolean
  /** The JSON body the API checked (media type, size, syntax), sent on as application/json. */
  readonly body?: Buffer
}

// Headers the function needs from the caller; everything else stays at the API. Last-Event-ID resumes
// a notification stream where the client's EventSource left it. Not content-type: the API sends the
// body it parsed, as JSON, or none (a content type without a body is a 400 of the function's own,
// which is not problem+json).
const forwardedRequestHeaders = [
  'authorization',
  'accept',
  'x-request-id',
  'traceparent',
  'tracestate',
  'last-event-id',
]

const forwardedResponseHeaders = ['content-type', 'cache-control', 'etag', 'last-event-id', 'x-request-id']

function isProblemJson(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.startsWith('application/problem+json')
}

/**
 * An error the function's runtime answered by itself (faas-js-runtime's fastify: a body it cannot
 * parse, e.g. a `__proto__` key, is a 400 in fastify's own JSON), re-stated as the problem+json every
 * API error is, with the same status and fastify's message as the detail.
 */
async function problemOfPlainError(upstream: Dispatcher.ResponseData): Promise<Problem> {
  const text = await upstream.body.text().catch(() => '')
  let detail: string | undefined
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    if (typeof message === 'string') detail = message
  } catch {
    // not JSON: the status says it all
  }
  return {
    status: upstream.statusCode,
    title: STATUS_CODES[upstream.statusCode] ?? 'Error',
    ...(detail === undefined ? {} : { detail }),
  }
}

export function functionReadRoutes(targets: FunctionReadTargets, logger: Logger, bodyLimit: string): Router {
  const router = Router()
  // The API's own body handling (media type 415, size 413, syntax 400) before anything is forwarded.
  const json = jsonBody(bodyLimit)
  const limits = {
    streamsPerUser: targets.streamsPerUser ?? defaultLimits.streamsPerUser,
    streamsMax: targets.streamsMax ?? defaultLimits.streamsMax,
    timeoutMs: targets.timeoutMs ?? defaultLimits.timeoutMs,
  }
  // Streams hold their connection for as long as the client listens: they get a pool of their own,
  // bounded by the stream slots, so they never queue the reads behind them.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 })
  const streamAgent = new Agent({ keepAliveTimeout: 30_000, connections: limits.streamsMax })
  const streams = new StreamSlots(limits.streamsPerUser, limits.streamsMax)

  const route = (target: FunctionTarget, forward: (req: Request) => Forward) => {
    return async (req: Request, res: Response): Promise<void> => {
      const base = targets[target]
      if (!base) {
        throw new ProblemError({
          status: 503,
          title: 'Service unavailable',
          detail: `${target === 'auditLog' ? 'the audit log' : 'notifications'} is not configured on this API`,
        })
      }
      const { method, query, stream, body } = forward(req)
      const url = new URL('/', base)
      for (const [name, value] of Object.entries(req.query)) {
        if (typeof value === 'string') url.searchParams.set(name, value)
      }
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
      const headers: Record<string, string> = {}
      // Content-Type only with the body it describes: the function's runtime (fastify) refuses a JSON
      // content type with no body (400, not problem+json), e.g. a client's POST .../read with `{}`.
      for (const name of body ? [...forwardedRequestHeaders, 'content-type'] : forwardedRequestHeaders) {
        const value = req.get(name)
        if (value !== undefined) headers[name] = value
      }
      if (body !== undefined) headers['content-type'] = 'application/json'
      let release: (() => void) | undefined
      if (stream) {
        const slot = streams.take(req.principal.userId)
        if (typeof slot === 'string')
          throw new ProblemError({
            status: 429,
            title: 'Too many requests',
            detail: slot,
            headers: { 'Retry-After': '30' },
          })
        release = slot
      }
      // A client that leaves cancels its request, queued or in flight: the response's 'close' before
      // it finished says so (the request's 'close' also fires once a body has been read). A read waits
      // no longer than its timeout for a connection and an answer together.
      const abort = new AbortController()
      const onClose = () => {
        if (!res.writableFinished) abort.abort(new Error('the client went away'))
      }
      res.once('close', onClose)
      const deadline = stream
        ? undefined
        : setTimeout(() => abort.abort(new Error('timeout')), limits.timeoutMs)
      let expiry: NodeJS.Timeout | undefined
      try {
        let upstream: Dispatcher.ResponseData
        try {
          upstream = await (stream ? streamAgent : agent).request({
            origin: url.origin,
            path: url.pathname + url.search,
            method,
            headers,
            body: body ?? null,
            bodyTimeout: stream ? 0 : limits.timeoutMs,
            headersTimeout: 60_000,
            signal: abort.signal,
          })
        } catch (error) {
          if (res.destroyed) return
          logger.warn({ err: error, target }, 'function read route unreachable')
          throw new ProblemError({
            status: abort.signal.aborted ? 504 : 503,
            title: abort.signal.aborted ? 'Gateway timeout' : 'Service unavailable',
            detail: abort.signal.aborted ? `${target} did not answer in time` : `${target} is unreachable`,
          })
        }
        if (upstream.statusCode >= 400 && !isProblemJson(upstream.headers['content-type'])) {
          throw new ProblemError(await problemOfPlainError(upstream))
        }
        res.status(upstream.statusCode)
        for (const name of forwardedResponseHeaders) {
          const value = upstream.headers[name]
          if (value !== undefined) res.setHeader(name, value)
        }
        if (stream) res.flushHeaders()
        // A stream ends when the token that opened it expires: the client reconnects with a fresh one.
        const expiresAt = req.principal.claims.exp
        if (stream && typeof expiresAt === 'number')
          expiry = setTimeout(() => upstream.body.destroy(), Math.max(0, expiresAt * 1000 - Date.now()))
        res.once('close', () => upstream.body.destroy())
        await pipeline(upstream.body, res).catch(() => {
          // The caller left (an SSE client closing its stream), or its token expired: nothing to report.
        })
      } finally {
        release?.()
        clearTimeout(deadline)
        clearTimeout(expiry)
        res.off('close', onClose)
      }
    }
  }

  router
    .route('/tasks/:id/audit')
    .get(route('auditLog', (req) => ({ method: 'GET', query: { task: String(req.params.id) } })))
    .all(methodNotAllowed(['GET']))
  router
    .route('/audit')
    .get(route('auditLog', () => ({ method: 'GET', query: {} })))
    .all(methodNotAllowed(['GET']))
  router
    .route('/notifications')
    .get(route('notifications', () => ({ method: 'GET', query: { view: 'list' } })))
    .all(methodNotAllowed(['GET']))
  router
    .route('/notifications/stream')
    .get(route('notifications', () => ({ method: 'GET', query: { view: 'stream' }, stream: true })))
    .all(methodNotAllowed(['GET']))
  router
    .route('/notifications/preferences')
    .get(route('notifications', () => ({ method: 'GET', query: { view: 'preferences' } })))
    // faas-js-runtime routes only GET and POST: the function takes the new preferences as a POST.
    .put(
      json,
      route('notifications', (req) => {
        const body = rawJsonBody(req)
        return { method: 'POST', query: { view: 'preferences' }, ...(body === undefined ? {} : { body }) }
      }),
    )
    .all(methodNotAllowed(['GET', 'PUT']))
  router
    .route('/notifications/:id/read')
    .post(
      json,
      route('notifications', (req) => {
        // Marking a notification read takes no body: like POST /tasks/{id}/complete, none or `{}`.
        if (req.body !== undefined) parseInput(emptyBodySchema, req.body, 'body')
        return { method: 'POST', query: { action: 'read', id: String(req.params.id) } }
      }),
    )
    .all(methodNotAllowed(['POST']))
  return router
}
