// The functions' user-facing read routes, served under the API's one base URL. faas-js-runtime routes
// only `/` (GET and POST), and a Gateway API HTTPRoute cannot turn a path parameter into a query string,
// so the API authenticates the caller and forwards to the function's `GET /?...` contract, on a cluster
// (the function's cluster-local URL) exactly as locally (the function's activator). Forwarding a read
// wakes a scaled-to-zero function the way any request does on Knative. The function checks permissions
// itself (it owns the data); the caller's Authorization header goes along.
import { pipeline } from 'node:stream/promises'
import { type Request, type Response, Router } from 'express'
import type { Logger } from 'pino'
import { Agent, type Dispatcher } from 'undici'
import { ProblemError } from './problem.ts'

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
  readonly body?: boolean
}

// Headers the function needs from the caller; everything else stays at the API. Last-Event-ID resumes
// a notification stream where the client's EventSource left it.
const forwardedRequestHeaders = [
  'authorization',
  'accept',
  'x-request-id',
  'traceparent',
  'tracestate',
  'last-event-id',
]
const forwardedResponseHeaders = ['content-type', 'cache-control', 'etag', 'last-event-id', 'x-request-id']

export function functionReadRoutes(targets: FunctionReadTargets, logger: Logger): Router {
  const router = Router()
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
      let upstream: Dispatcher.ResponseData
      try {
        upstream = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method,
          headers,
          body: body ? req : null,
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

  router.get(
    '/tasks/:id/audit',
    route('auditLog', (req) => ({ method: 'GET', query: { task: String(req.params.id) } })),
  )
  router.get(
    '/audit',
    route('auditLog', () => ({ method: 'GET', query: {} })),
  )
  router.get(
    '/notifications',
    route('notifications', () => ({ method: 'GET', query: { view: 'list' } })),
  )
  router.get(
    '/notifications/stream',
    route('notifications', () => ({ method: 'GET', query: { view: 'stream' }, stream: true })),
  )
  router.get(
    '/notifications/preferences',
    route('notifications', () => ({ method: 'GET', query: { view: 'preferences' } })),
  )
  // faas-js-runtime routes only GET and POST: the function takes the new preferences as a POST.
  router.put(
    '/notifications/preferences',
    route('notifications', () => ({ method: 'POST', query: { view: 'preferences' }, body: true })),
  )
  router.post(
    '/notifications/:id/read',
    route('notifications', (req) => ({
      method: 'POST',
      query: { action: 'read', id: String(req.params.id) },
    })),
  )
  return router
}
