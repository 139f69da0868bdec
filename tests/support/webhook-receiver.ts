import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A webhook receiver written from the verification procedure in functions/notification-fanout/README.md
// ("Verifying a webhook"), with node:crypto only and none of the sender's code, so a test proves that
// what the sender signs is what the documentation tells a receiver to check.

export type Verdict =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly reason: string }

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly verdict: Verdict
}

export interface WebhookReceiver {
  readonly url: string
  /** Every request in arrival order, with what the procedure made of it. */
  readonly requests: ReceivedRequest[]
  /** Ids of the deliveries processed (verified, not seen before, answered 2xx). */
  readonly processed: string[]
  /** Statuses the next verified requests get instead of being processed (a receiver that is down). */
  readonly failures: number[]
  close(): Promise<void>
}

export interface WebhookReceiverOptions {
  readonly secret: string
  /** The receiver's clock in Unix seconds (default: the real one). */
  readonly nowSeconds?: () => number
  readonly toleranceSeconds?: number
  /** Interface to listen on; 127.0.0.1 by default. */
  readonly host?: string
}

/** The HMAC key of a secret: `whsec_<base64>` is the bytes it encodes, anything else its UTF-8 bytes. */
function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8')
}

/** Steps 1-4 of the procedure; step 5 (an id already processed) needs the receiver's memory. */
export function verifyWebhook(input: {
  secret: string
  headers: IncomingHttpHeaders
  body: string
  nowSeconds: number
  toleranceSeconds?: number
}): Verdict {
  const header = (name: string) => {
    const value = input.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  const id = header('webhook-id')
  const timestamp = header('webhook-timestamp')
  const signatures = header('webhook-signature')
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook headers' }
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'timestamp is not Unix seconds' }
  if (Math.abs(input.nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? 300))
    return { ok: false, reason: 'timestamp outside the tolerance' }
  const expected = createHmac('sha256', keyOf(input.secret))
    .update(`${id}.${timestamp}.${input.body}`)
    .digest()
  const matches = signatures.split(' ').some((entry) => {
    const [version, encoded] = entry.split(',')
    if (version !== 'v1' || encoded === undefined) return false
    const given = Buffer.from(encoded, 'base64')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  return matches ? { ok: true, id } : { ok: false, reason: 'no matching signature' }
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000))
  const seen = new Set<string>()
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = { requests: [], processed: [], failures: [] }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let verdict = verifyWebhook({
        secret: options.secret,
        headers: req.headers,
        body,
        nowSeconds: nowSeconds(),
        ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
      })
      if (verdict.ok && seen.has(verdict.id)) verdict = { ok: false, reason: 'id already processed' }
      receiver.requests.push({ headers: req.headers, body, verdict })
      if (!verdict.ok) {
        // A duplicate is answered 2xx (a retry whose answer was lost must stop), but not acted on.
        const status = verdict.reason === 'id already processed' ? 200 : 401
        res.writeHead(status, { 'content-type': 'text/plain' }).end(verdict.reason)
        return
      }
      const failure = receiver.failures.shift()
      if (failure !== undefined) {
        res.writeHead(failure).end()
        return
      }
      seen.add(verdict.id)
      receiver.processed.push(verdict.id)
      res.writeHead(204).end()
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return Object.assign(receiver, {
    url: `http://${host}:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  })
}
