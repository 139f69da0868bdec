import type { Server } from 'node:http'
import { start } from 'faas-js-runtime'
import { request } from 'undici'
import { httpCodec, type TaskflowEvent } from '../../events/src/index.ts'
import { freePort } from './free-port.ts'

// A function served by faas-js-runtime's own HTTP server, as `npm start` runs it in the container,
// and the two ways Knative delivers a CloudEvent to it over HTTP.

export interface RuntimeServer {
  /** Base URL of the function, without a trailing slash. */
  readonly url: string
  /** Ends open connections (SSE streams included) and stops listening; the function is the caller's. */
  close(): Promise<void>
}

/**
 * Resolves once the function answers /health/readiness, as Knative's queue-proxy waits before it
 * routes a request: faas-js-runtime's probe answers 503 while the event loop still lags behind the
 * function's init (PGlite start-up, migrations).
 */
export async function serveWithRuntime(fn: Parameters<typeof start>[0]): Promise<RuntimeServer> {
  const port = await freePort()
  const server: Server = await start(fn, { port })
  const url = `http://127.0.0.1:${port}`
  const close = () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  try {
    await waitForReadiness(`${url}/health/readiness`)
  } catch (error) {
    await close()
    throw error
  }
  return { url, close }
}

/**
 * Polls `url` until it answers 200. Bounded: 600 tries 100 ms apart; fails at once, with the
 * function's output, if its `process` exits first.
 */
export async function waitForReadiness(
  url: string,
  process: { readonly exitCode: number | null } = { exitCode: null },
  output: () => string = () => '',
): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (process.exitCode !== null) throw new Error(`function exited with ${process.exitCode}:\n${output()}`)
    try {
      const response = await request(url)
      await response.body.dump()
      if (response.statusCode === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`function never became ready:\n${output()}`)
}

/** A CloudEvent or a malformed look-alike, for tests of what the function refuses. */
export type PostedEvent = TaskflowEvent | Record<string, unknown>

/** Binary mode (ce-* headers, data as the body): what Knative's dispatcher and PingSource send. */
export function postBinary(url: string, event: PostedEvent) {
  const message = httpCodec.encode(event as TaskflowEvent, { mode: 'binary' })
  return request(url, { method: 'POST', headers: message.headers, body: message.body })
}

/** Structured mode: the whole event as `application/cloudevents+json`. */
export function postStructured(url: string, event: PostedEvent) {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  })
}
