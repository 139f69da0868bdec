import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request as undiciRequest } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deadLetterHeaders, SinkClient } from '../../../local/src/eventing/sink-client.ts'
import type { InProcessSink } from '../../../local/src/serving/function-host.ts'
import type { DeliveryPolicy } from '../../../platform/src/knative-delivery.ts'

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void

/** An in-process sink answering what the HTTP sink at `origin` answers (as a local activator relays). */
let relayed = 0
const relayingTo = (origin: string): InProcessSink => ({
  async invoke(request, timeoutMs) {
    relayed++
    const response = await undiciRequest(new URL(request.path, origin), {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      headersTimeout: timeoutMs,
    })
    return {
      status: response.statusCode,
      headers: response.headers as Record<string, string | string[]>,
      body: Buffer.from(await response.body.arrayBuffer()),
    }
  },
})

describe.each(['http', 'in-process'])('SinkClient (Knative delivery semantics, %s)', (path) => {
  let server: Server
  let url: URL
  let handler: Handler = (_req, res) => res.writeHead(202).end()
  let attempts = 0
  let client: SinkClient
  const policy: DeliveryPolicy = { retry: 3, backoffPolicy: 'linear', backoffDelayMs: 5, timeoutMs: 500 }
  const request = {
    headers: { 'ce-id': '1', 'ce-specversion': '1.0', 'ce-source': '/t', 'ce-type': 't' },
    body: '{}',
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      attempts++
      req.resume().on('end', () => handler(req, res, attempts))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sink`)
    const origins = [url.origin, 'http://127.0.0.1:1']
    client = new SinkClient({
      connections: 4,
      ...(path === 'in-process' && {
        inProcess: new Map(origins.map((origin) => [origin, relayingTo(origin)])),
      }),
    })
  })
  afterEach(() => {
    attempts = 0
  })
  afterAll(async () => {
    await client.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('delivers on a 2xx in one attempt', async () => {
    relayed = 0
    handler = (_req, res) => res.writeHead(202).end()
    expect(await client.deliver(url, request, policy)).toEqual({
      kind: 'delivered',
      status: 202,
      attempts: 1,
    })
    expect(relayed).toBe(path === 'in-process' ? 1 : 0)
  })

  it('retries 5xx and succeeds when the sink recovers', async () => {
    handler = (_req, res, n) => res.writeHead(n < 3 ? 503 : 200).end()
    expect(await client.deliver(url, request, policy)).toEqual({
      kind: 'delivered',
      status: 200,
      attempts: 3,
    })
  })

  it.each([404, 408, 409, 429, 500])('retries %i until retries are exhausted', async (status) => {
    handler = (_req, res) => res.writeHead(status).end('nope')
    const outcome = await client.deliver(url, request, policy)
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'retries-exhausted', attempts: 4 })
    expect(attempts).toBe(4)
  })

  it.each([400, 401, 403, 413, 415, 422])(
    'sends %i straight to the dead-letter path without retry',
    async (status) => {
      handler = (_req, res) => res.writeHead(status).end('bad event')
      const outcome = await client.deliver(url, request, policy)
      expect(outcome).toMatchObject({ kind: 'failed', reason: 'not-retryable', attempts: 1 })
      expect(attempts).toBe(1)
    },
  )

  it('treats a timeout as retryable', async () => {
    handler = (_req, res, n) => {
      if (n === 1) setTimeout(() => res.writeHead(200).end(), 1500)
      else res.writeHead(200).end()
    }
    const outcome = await client.deliver(url, request, { ...policy, timeoutMs: 50 })
    expect(outcome).toMatchObject({ kind: 'delivered', attempts: 2 })
  })

  it('treats a refused connection as retryable', async () => {
    const closed = new URL('http://127.0.0.1:1/sink')
    const outcome = await client.deliver(closed, request, { ...policy, retry: 1 })
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'retries-exhausted', attempts: 2 })
  })

  it('stops retrying when aborted', async () => {
    handler = (_req, res) => res.writeHead(500).end()
    const controller = new AbortController()
    const pending = client.deliver(
      url,
      request,
      { ...policy, backoffDelayMs: 10_000 },
      { signal: controller.signal },
    )
    setTimeout(() => controller.abort(), 50)
    expect(await pending).toMatchObject({ kind: 'aborted', attempts: 1 })
  })

  it('dead-letter headers carry destination, status, base64 body (max 1 KiB) and kne-* headers', async () => {
    handler = (_req, res) =>
      res.writeHead(422, { 'kne-reason': 'schema', 'kne-id': 'forged' }).end('x'.repeat(3000))
    const outcome = await client.deliver(url, request, policy)
    if (outcome.kind !== 'failed') throw new Error(`expected failure, got ${outcome.kind}`)
    const headers = deadLetterHeaders(request, url, outcome.last)
    expect(headers['ce-knativeerrordest']).toBe(url.href)
    expect(headers['ce-knativeerrorcode']).toBe('422')
    expect(Buffer.from(headers['ce-knativeerrordata']!, 'base64').toString()).toBe('x'.repeat(1024))
    // Knative drops the prefix: `kne-reason` arrives as extension `reason`.
    expect(headers['ce-reason']).toBe('schema')
    expect(headers['ce-knereason']).toBeUndefined()
    // An attribute the event has is never overwritten by a sink's header.
    expect(headers['ce-id']).toBe('1')
  })
})
