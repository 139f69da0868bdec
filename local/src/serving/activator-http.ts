// HTTP plumbing of the activator: which headers cross the proxy, reading a bounded request body, and
// the problem+json answers the activator gives itself (503 buffer full or timed out, 502 process lost).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { Dispatcher } from 'undici'

// Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own, never forwarded.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
])
// undici sets these from the pool's origin and the buffered body.
const recomputedRequestHeaders = new Set(['host', 'content-length'])
export function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const forwarded: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !recomputedRequestHeaders.has(name))
      forwarded[name] = value
  }
  return forwarded
}

export function responseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name.toLowerCase())) out[name] = value
  }
  return out
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limitBytes) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

// A function's answer to an event is a few hundred bytes with its length known: read whole and
// written in one go. stream.pipeline costs an AbortController per response (its DOMException and
// stack capture were ~2.5 % of the local platform's CPU at 200 events/s); streams (SSE) still use it.
const bufferedResponseLimitBytes = 1024 * 1024

/** Writes the function's response to the caller: whole when its length is known and small, else streamed. */
export async function relayResponse(response: Dispatcher.ResponseData, res: ServerResponse): Promise<void> {
  res.writeHead(response.statusCode, responseHeaders(response.headers))
  const length = Number(response.headers['content-length'])
  if (Number.isInteger(length) && length <= bufferedResponseLimitBytes) {
    res.end(Buffer.from(await response.body.arrayBuffer()))
    return
  }
  await pipeline(response.body, res)
}

/** An RFC 9457 problem details document. */
export function problemJson(status: number, title: string, detail?: string): string {
  return JSON.stringify({ type: 'about:blank', title, status, ...(detail === undefined ? {} : { detail }) })
}

/** RFC 9457 problem details (with `headers`, e.g. Retry-After); a response under way can only be cut. */
export function writeProblem(
  res: ServerResponse,
  status: number,
  title: string,
  detail?: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(status, { ...headers, 'content-type': 'application/problem+json' })
    res.end(problemJson(status, title, detail))
  } else if (!res.writableEnded) res.destroy()
}
