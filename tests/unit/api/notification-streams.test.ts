import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { type Dispatcher, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serveEmbeddedPostgres } from '../../../db/src/index.ts'
import { type Harness, startHarness } from '../../support/api-harness.ts'

// Issue 19, finding 5: one user's open notification streams must not block anyone's reads. Streams
// are capped per user and per replica, have connections of their own, end with their token, and a
// read whose client left or that waited too long gives its place back.

vi.setConfig({ hookTimeout: 60_000, testTimeout: 30_000 })

const secret = 'a-stream-test-secret-of-at-least-32-bytes'
const tokenFor = (user: string, expiresIn = '10m') =>
  new SignJWT({ sub: user })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret))

describe('notification streams through the Task API', () => {
  let fn: Server
  let api: Harness
  let closeDatabase: () => Promise<void>
  const openUpstreams = new Set<ServerResponse>()
  let slowReads = false
  const pendingReads = new Set<IncomingMessage>()

  beforeAll(async () => {
    // A stand-in for notification-fanout: streams stay open, lists answer at once (or never, when slow).
    fn = createServer((req: IncomingMessage, res: ServerResponse) => {
      const view = new URL(req.url ?? '/', 'http://x').searchParams.get('view')
      if (view === 'stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(': open\n\n')
        openUpstreams.add(res)
        res.once('close', () => openUpstreams.delete(res))
        return
      }
      if (slowReads) {
        pendingReads.add(req)
        res.once('close', () => pendingReads.delete(req))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"notifications":[]}')
    })
    await new Promise<void>((resolve) => fn.listen(0, '127.0.0.1', resolve))
    const fnUrl = `http://127.0.0.1:${(fn.address() as AddressInfo).port}`
    const database = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    closeDatabase = () => database.close()
    api = await startHarness({
      databaseUrl: database.url,
      auth: { mode: 'hs256', secret },
      functionReads: { notifications: fnUrl, streamsPerUser: 2, streamsMax: 3, timeoutMs: 3_000 },
    })
  })
  afterAll(async () => {
    await api?.close()
    fn?.closeAllConnections()
    await new Promise((resolve) => fn?.close(resolve))
    await closeDatabase?.()
  })

  const open = async (user: string, token?: string): Promise<Dispatcher.ResponseData> =>
    request(`${api.url}/notifications/stream`, {
      headers: { authorization: `Bearer ${token ?? (await tokenFor(user))}` },
    })
  const list = async (user: string) => {
    const response = await request(`${api.url}/notifications`, {
      headers: { authorization: `Bearer ${await tokenFor(user)}` },
    })
    await response.body.dump()
    return response.statusCode
  }

  it('caps streams per user (429 with Retry-After) and per replica; reads keep answering', async () => {
    const mine = [await open('alice'), await open('alice')]
    expect(mine.map((response) => response.statusCode)).toEqual([200, 200])
    const third = await open('alice')
    expect(third.statusCode).toBe(429)
    expect(third.headers['retry-after']).toBe('30')
    await third.body.dump()
    const bobs = await open('bob')
    expect(bobs.statusCode).toBe(200)
    const carols = await open('carol')
    expect(carols.statusCode).toBe(429)
    await carols.body.dump()
    // Three streams held open: everybody's lists still answer.
    expect(await list('carol')).toBe(200)
    expect(await list('alice')).toBe(200)

    // A closed stream gives its slot back.
    for (const response of [...mine, bobs]) response.body.destroy()
    await vi.waitFor(() => expect(openUpstreams.size).toBe(0))
    const again = await open('carol')
    expect(again.statusCode).toBe(200)
    again.body.destroy()
    await vi.waitFor(() => expect(openUpstreams.size).toBe(0))
  })

  it('ends a stream when the token that opened it expires', async () => {
    const response = await open('dave', await tokenFor('dave', '2s'))
    expect(response.statusCode).toBe(200)
    const ended = new Promise<void>((resolve) => {
      response.body
        .on('end', resolve)
        .on('error', () => resolve())
        .resume()
    })
    await ended
    await vi.waitFor(() => expect(openUpstreams.size).toBe(0))
  })

  it('a read that waits too long is a 504, and a client that leaves cancels its read upstream', async () => {
    slowReads = true
    try {
      expect(await list('erin')).toBe(504)
      await vi.waitFor(() => expect(pendingReads.size).toBe(0))

      const leaving = new AbortController()
      const read = request(`${api.url}/notifications`, {
        headers: { authorization: `Bearer ${await tokenFor('frank')}` },
        signal: leaving.signal,
      }).catch(() => undefined)
      await vi.waitFor(() => expect(pendingReads.size).toBe(1))
      leaving.abort()
      await read
      // Gone upstream well before the 3 s timeout would have ended it.
      await vi.waitFor(() => expect(pendingReads.size).toBe(0), { timeout: 1_500 })
    } finally {
      slowReads = false
    }
  })
})
