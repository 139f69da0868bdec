import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../local/src/gateway.ts'

async function listen(server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('gateway (one base URL for the API and the functions read routes)', () => {
  let api: Server
  let audit: Server
  let gateway: Gateway

  beforeAll(async () => {
    api = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'api' })
        res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization }))
      })
    })
    audit = createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write('data: one\n\n')
        setTimeout(() => res.end('data: two\n\n'), 50)
        return
      }
      if (req.url === '/open-stream') {
        // A stream that stays open until its client leaves.
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(': open\n\n')
        return
      }
      res.writeHead(200, { 'x-upstream': 'audit' }).end(req.url)
    })
    const apiUrl = await listen(api)
    const auditUrl = await listen(audit)
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      allowedHosts: ['127.0.0.1', 'localhost'],
      logger: pino({ level: 'silent' }),
      routes: [
        {
          name: 'audit',
          matches: (p) => /^\/tasks\/[^/]+\/audit$/.test(p) || p === '/stream' || p === '/open-stream',
          target: () => auditUrl,
        },
        { name: 'down', matches: (p) => p === '/down', target: () => new URL('http://127.0.0.1:1') },
        { name: 'api', matches: (p) => p.startsWith('/tasks'), target: () => apiUrl },
      ],
    })
  })
  afterAll(async () => {
    await gateway.close()
    for (const server of [api, audit]) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('routes a task write to the API with method, body, query and headers intact', async () => {
    const response = await fetch(new URL('/tasks?x=1', gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev.alice' },
      body: '{"title":"t"}',
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-upstream')).toBe('api')
    expect(await response.json()).toEqual({
      method: 'POST',
      url: '/tasks?x=1',
      body: '{"title":"t"}',
      auth: 'Bearer dev.alice',
    })
  })

  it('answers 421 to a Host it does not serve (DNS rebinding), whatever the port', async () => {
    const { port } = gateway.url
    const status = (host: string) =>
      request(new URL('/tasks', gateway.url), { headers: { host } }).then(async (response) => {
        await response.body.dump()
        return response.statusCode
      })
    expect(await status(`attacker.example:${port}`)).toBe(421)
    expect(await status('rebound.example')).toBe(421)
    // The fake API answers every /tasks request 201.
    expect(await status(`localhost:${port}`)).toBe(201)
    expect(await status(`LOCALHOST:${port}`)).toBe(201)
  })

  it('keeps answering other requests while hundreds of streams are open (no connection cap)', async () => {
    // 300 streams: more than the 256 connections the gateway's pool once had, which queued everything.
    const streams = await Promise.all(
      Array.from({ length: 300 }, () => request(new URL('/open-stream', gateway.url))),
    )
    try {
      expect(streams.every((stream) => stream.statusCode === 200)).toBe(true)
      const response = await request(new URL('/tasks/abc/audit', gateway.url), { headersTimeout: 5_000 })
      expect(response.statusCode).toBe(200)
      await response.body.dump()
    } finally {
      for (const stream of streams) stream.body.destroy()
    }
  })

  it('routes /tasks/:id/audit to the audit function, not the API', async () => {
    const response = await fetch(new URL('/tasks/abc/audit', gateway.url))
    expect(response.headers.get('x-upstream')).toBe('audit')
    expect(await response.text()).toBe('/tasks/abc/audit')
  })

  it('streams server-sent events through', async () => {
    const response = await fetch(new URL('/stream', gateway.url))
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    expect(await response.text()).toBe('data: one\n\ndata: two\n\n')
  })

  it('answers 404 problem+json for an unknown route and 502 when the target is down', async () => {
    const missing = await fetch(new URL('/nowhere', gateway.url))
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toBe('application/problem+json')
    const down = await fetch(new URL('/down', gateway.url))
    expect(down.status).toBe(502)
  })
})
