// HTTP plumbing of the activator: which headers cross the proxy, reading a bounded request body, and
// the problem+json answers the activator gives itself (503 buffer full or timed out, 502 process lost).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'

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

/** RFC 9457 problem details; a response already under way can only be cut. */
export function writeProblem(res: ServerResponse, status: number, title: string, detail?: string): void {
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(status, { 'content-type': 'application/problem+json' })
    res.end(
      JSON.stringify({ type: 'about:blank', title, status, ...(detail === undefined ? {} : { detail }) }),
    )
  } else if (!res.writableEnded) res.destroy()
}
