// `npm start` of every function (`node vendor/serve.js ./build/index.js`): faas-js-runtime's own
// start(), as its CLI runs it, with three corrections its options cannot make (4.0.1, index.js and
// lib/invocation-handler.js):
// - GET /metrics answers with the function kit's event metrics (metrics.ts); the runtime's own
//   faas_* metrics move to /metrics/runtime (its METRICS_URL);
// - no CORS grants: it answers every OPTIONS with Access-Control-Allow-Origin/-Headers `*` and every
//   response with Allow-Origin `*`. A function is called by Knative's data plane and the Task API,
//   never by a browser, so a preflight is answered without a grant and no response carries one;
// - where it listens: `::` always. FUNC_HOST (the local system sets 127.0.0.1) moves it.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { Server as NetServer } from 'node:net'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registeredFunctionMetrics } from './metrics-slot.ts'

export type ServeOptions = {
  /** The built function module (build/index.js). */
  readonly entry: string
  readonly port: number
  /** Default: every interface, as faas-js-runtime. */
  readonly host?: string | undefined
  readonly logLevel?: string | undefined
  /** Where faas-js-runtime is resolved from: the function's folder (its own dependency). */
  readonly resolveFrom?: string
}

type Runtime = { start(code: unknown, options: Record<string, unknown>): Promise<Server> }
type Loader = { loadFunction(path: string): Promise<unknown> }

/** Where faas-js-runtime's own metrics go: GET /metrics is the function kit's (metrics.ts). */
const runtimeMetricsPath = '/metrics/runtime'

export async function serveFunction(options: ServeOptions): Promise<Server> {
  // faas-js-runtime reads METRICS_URL when its module loads.
  process.env.METRICS_URL ??= runtimeMetricsPath
  const require = createRequire(options.resolveFrom ?? import.meta.url)
  const runtimePath = require.resolve('faas-js-runtime')
  const runtime = require(runtimePath) as Runtime
  const loader = require(join(runtimePath, '..', 'lib', 'function-loader.js')) as Loader
  const code = await loader.loadFunction(options.entry)
  const start = () => runtime.start(code, { port: options.port, logLevel: options.logLevel ?? 'warn' })
  const server = options.host === undefined ? await start() : await listeningOn(options.host, start)
  withoutCorsGrants(server)
  return server
}

/** Runs `start` with a listen() on all interfaces moved to `host`. */
async function listeningOn<T>(host: string, start: () => Promise<T>): Promise<T> {
  const listen = NetServer.prototype.listen
  NetServer.prototype.listen = function listenOnHost(this: NetServer, ...args: unknown[]) {
    const [first, ...rest] = args
    if (
      typeof first === 'object' &&
      first !== null &&
      ['::', '0.0.0.0', undefined].includes((first as { host?: string }).host)
    )
      return (listen as (...a: unknown[]) => NetServer).call(this, { ...first, host }, ...rest)
    return (listen as (...a: unknown[]) => NetServer).call(this, ...args)
  } as typeof listen
  try {
    return await start()
  } finally {
    NetServer.prototype.listen = listen
  }
}

const corsHeader = /^access-control-/i

/** Answers preflights without a grant and drops the Access-Control-* headers of every response. */
export function withoutCorsGrants(server: Server): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]
  server.removeAllListeners('request')
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { allow: 'GET, POST, OPTIONS' }).end()
      return
    }
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      const registry = registeredFunctionMetrics()
      // A module without the kit has only the runtime's metrics: serve those, never its handle().
      if (registry === undefined) req.url = runtimeMetricsPath
      else {
        void registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        )
        return
      }
    }
    const writeHead = res.writeHead
    res.writeHead = function writeHeadWithoutCors(this: ServerResponse, ...args: unknown[]) {
      for (const name of this.getHeaderNames()) if (corsHeader.test(name)) this.removeHeader(name)
      const headers = args.find(
        (arg): arg is Record<string, unknown> => typeof arg === 'object' && arg !== null,
      )
      if (headers && !Array.isArray(headers))
        for (const name of Object.keys(headers)) if (corsHeader.test(name)) delete headers[name]
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
    } as typeof writeHead
    for (const handler of handlers) handler.call(server, req, res)
  })
}

async function main(): Promise<void> {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: node vendor/serve.js <built function module>')
    process.exit(2)
  }
  await serveFunction({
    entry: isAbsolute(file) ? file : join(process.cwd(), file),
    port: Number(process.env.FUNC_PORT ?? process.env.PORT ?? 8080),
    host: process.env.FUNC_HOST || undefined,
    logLevel: process.env.FUNC_LOG_LEVEL,
    resolveFrom: join(process.cwd(), 'package.json'),
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
