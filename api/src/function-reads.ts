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
import { z } from 'zod'
import { jsonBody, rawJsonBody } from './http/json-body.ts'
import { methodNotAllowed } from './http/method-not-allowed.ts'
import { parseInput } from './http/validate.ts'
import { type Problem, ProblemError } from './problem.ts'

export interface FunctionReadTargets {
  /** Base URL of the audit-log function (AUDIT_LOG_URL). */
  readonly auditLog?: string | undefined
  /** Base URL of the notification-fanout function (NOTIFICATIONS_URL). */
  readonly notifications?: string | undefined
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

// Marking a notification read takes no body: like POST /tasks/{id}/complete, none or `{}`.
const emptyBodySchema = z.strictObject({})
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
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 })

  const route = (target: keyof FunctionReadTargets, forward: (req: Request) => Forward) => {
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
      let upstream: Dispatcher.ResponseData
      try {
        upstream = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method,
          headers,
          body: body ?? null,
          bodyTimeout: stream ? 0 : 30_000,
          headersTimeout: 60_000,
        })
      } catch (error) {
        logger.warn({ err: error, target }, 'function read route unreachable')
        throw new ProblemError({
          status: 503,
          title: 'Service unavailable',
          detail: `${target} is unreachable`,
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
      req.once('close', () => upstream.body.destroy())
      await pipeline(upstream.body, res).catch(() => {
        // The caller left (an SSE client closing its stream): nothing to report.
      })
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
        if (req.body !== undefined) parseInput(emptyBodySchema, req.body, 'body')
        return { method: 'POST', query: { action: 'read', id: String(req.params.id) } }
      }),
    )
    .all(methodNotAllowed(['POST']))
  return router
}
