// One base URL for the local system, as the cluster's ingress gives one: the Task API, plus the
// functions' user-facing read routes (`/notifications`, `/notifications/stream`, `/tasks/:id/audit`),
// proxied to the function's activator so a read wakes a scaled-to-zero function like on Knative.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import type { Logger } from 'pino'
import { Agent, type Dispatcher } from 'undici'
import { writeProblem } from './serving/activator-http.ts'

export type GatewayRoute =
  | {
      readonly name: string
      /** Matches the request path (without query). */
      readonly matches: (path: string) => boolean
      /** Resolved per request: an activator may only know its URL once started. */
      readonly target: () => URL
    }
  | {
      readonly name: string
      readonly matches: (path: string) => boolean
      /** Answered by the gateway itself (the local system's own endpoints, e.g. its status). */
      readonly respond: (req: IncomingMessage, res: ServerResponse) => Promise<void>
    }

export interface Gateway {
  readonly url: URL
  close(): Promise<void>
}

// Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
])

export async function startGateway(options: {
  readonly host: string
  readonly port: number
  /** A server already listening on the port (npm start holds it from its first step): served on instead. */
  readonly listening?: Server
  /** Host names (Host header, port aside) served; anything else is answered 421. */
  readonly allowedHosts: readonly string[]
  readonly routes: readonly GatewayRoute[]
  readonly logger: Logger
}): Promise<Gateway> {
  // No cap on connections to a route: a notification stream holds one for as long as it is open, and a
  // capped pool would queue every other request behind them (the API caps streams per user instead).
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null })
  const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()))
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!allowed.has(hostnameOf(req.headers.host))) {
      writeProblem(res, 421, 'Misdirected Request', 'this host name is not served here (ALLOWED_HOSTS)')
      return
    }
    void forward(req, res).catch((error: unknown) => {
      options.logger.warn({ err: error, path: req.url }, 'gateway could not reach the route target')
      writeProblem(res, 502, 'Bad Gateway', 'upstream unavailable')
    })
  }

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const route = options.routes.find((candidate) => candidate.matches(path))
    if (!route) {
      writeProblem(res, 404, 'Not Found', `no route for ${path}`)
      return
    }
    if ('respond' in route) {
      await route.respond(req, res)
      return
    }
    const target = route.target()
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value
    }
    headers['x-forwarded-host'] = req.headers.host ?? ''
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const upstream = await agent.request({
      origin: target.origin,
      path: req.url ?? '/',
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody ? req : null,
      // Server-Sent Events stay open for as long as the client listens.
      bodyTimeout: 0,
    })
    const responseHeaders: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined && !hopByHop.has(name)) responseHeaders[name] = value
    }
    res.writeHead(upstream.statusCode, responseHeaders)
    res.flushHeaders()
    req.once('close', () => upstream.body.destroy())
    await pipeline(upstream.body, res)
  }

  let server: Server
  if (options.listening === undefined) {
    server = createServer(handle)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => resolve())
    })
  } else {
    server = options.listening
    server.removeAllListeners('request')
    server.on('request', handle)
  }
  const address = server.address() as AddressInfo
  return {
    url: new URL(`http://${options.host}:${address.port}`),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await agent.close()
    },
  }
}

/** The host name of a Host header, port and case aside (`[::1]` keeps its brackets). */
function hostnameOf(host: string | undefined): string {
  const value = (host ?? '').toLowerCase()
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1)
  const colon = value.lastIndexOf(':')
  return colon < 0 ? value : value.slice(0, colon)
}
