import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type PingSource,
  PingSourceError,
  pingEventRequest,
  startPingSource,
} from '../../../../local/src/eventing/ping-source.ts'

const logger = pino({ level: 'silent' })

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A sink that records every request and answers with the next scripted status (then 202). */
async function receiver(statuses: number[] = []) {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(statuses.shift() ?? 202)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
function track(source: PingSource): PingSource {
  cleanups.push(() => source.stop())
  return source
}

describe('PingSource event', () => {
  it('is a dev.knative.sources.ping CloudEvent in binary mode carrying the manifest data', () => {
    const tickAt = new Date('2026-11-22T10:00:00Z')
    const request = pingEventRequest(
      {
        name: 'reminders-tick',
        namespace: 'taskflow',
        data: '{"action":"tick"}',
        contentType: 'application/json',
      },
      tickAt,
      'id-1',
    )
    expect(request).toEqual({
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'id-1',
        'ce-type': 'dev.knative.sources.ping',
        'ce-source': '/apis/v1/namespaces/taskflow/pingsources/reminders-tick',
        'ce-time': '2026-11-22T10:00:00.000Z',
        'content-type': 'application/json',
      },
      body: '{"action":"tick"}',
    })
  })

  it('gets a unique id on every tick', () => {
    const ids = new Set(
      Array.from({ length: 100 }, () => pingEventRequest({ name: 'p' }, new Date()).headers['ce-id']),
    )
    expect(ids.size).toBe(100)
  })
})

describe('PingSource delivery', () => {
  it('emits on every interval tick when the schedule is overridden', async () => {
    const sink = await receiver()
    cleanups.push(sink.close)
    const source = track(
      startPingSource({
        name: 'reminders-tick',
        namespace: 'taskflow',
        schedule: '* * * * *',
        data: '{"action":"tick"}',
        contentType: 'application/json',
        sinkUrl: sink.url,
        intervalOverrideMs: 20,
        logger,
      }),
    )
    await vi.waitFor(() => expect(sink.received.length).toBeGreaterThanOrEqual(3), { timeout: 5_000 })
    // What `npm run status` shows: the last tick, and the next one an interval after it.
    const last = source.lastTick()
    expect(last).toBeInstanceOf(Date)
    expect(source.nextTick()!.getTime() - source.lastTick()!.getTime()).toBe(20)
    await source.stop()
    expect(source.nextTick()).toBeNull()
    const ids = sink.received.map((event) => event.headers['ce-id'])
    expect(new Set(ids).size).toBe(ids.length)
    expect(sink.received[0]!.headers['ce-source']).toBe(
      '/apis/v1/namespaces/taskflow/pingsources/reminders-tick',
    )
    expect(sink.received[0]!.body).toBe('{"action":"tick"}')
  })

  it('ticks on its cron schedule', async () => {
    const sink = await receiver()
    cleanups.push(sink.close)
    // croner also accepts a seconds field: a schedule that fires within a second.
    track(startPingSource({ name: 'every-second', schedule: '* * * * * *', sinkUrl: sink.url, logger }))
    await vi.waitFor(() => expect(sink.received.length).toBeGreaterThanOrEqual(1), { timeout: 5_000 })
    expect(sink.received[0]!.headers['ce-type']).toBe('dev.knative.sources.ping')
    expect(new Date(String(sink.received[0]!.headers['ce-time'])).getUTCMilliseconds()).toBe(0)
  })

  it('retries a tick the sink answered 503 and delivers it once the sink recovers', async () => {
    const sink = await receiver([503, 503])
    cleanups.push(sink.close)
    const source = track(startPingSource({ name: 'p', schedule: '0 3 * * *', sinkUrl: sink.url, logger }))
    await source.tickNow()
    expect(source.stats()).toEqual({ ticks: 1, delivered: 1, failed: 0 })
    const ids = sink.received.map((event) => event.headers['ce-id'])
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(1)
  })

  it('gives a tick up after its bounded retries and logs it', async () => {
    const sink = await receiver(Array.from({ length: 10 }, () => 500))
    cleanups.push(sink.close)
    const errors: string[] = []
    const recording = pino({ level: 'error' }, { write: (line: string) => errors.push(line) })
    const source = track(
      startPingSource({ name: 'p', schedule: '0 3 * * *', sinkUrl: sink.url, retries: 2, logger: recording }),
    )
    await source.tickNow()
    expect(source.stats()).toEqual({ ticks: 1, delivered: 0, failed: 1 })
    expect(sink.received).toHaveLength(3)
    expect(errors.join('')).toContain('not delivered')
  })

  it('does not retry a 400: the tick is dropped at once', async () => {
    const sink = await receiver([400])
    cleanups.push(sink.close)
    const source = track(startPingSource({ name: 'p', schedule: '0 3 * * *', sinkUrl: sink.url, logger }))
    await source.tickNow()
    expect(source.stats().failed).toBe(1)
    expect(sink.received).toHaveLength(1)
  })
})

describe('PingSource configuration errors', () => {
  it('rejects an invalid schedule with a typed error naming the field', () => {
    const start = () =>
      startPingSource({ name: 'p', schedule: 'every minute', sinkUrl: 'http://127.0.0.1:9/', logger })
    expect(start).toThrow(PingSourceError)
    expect(start).toThrow(/invalid schedule "every minute"/)
  })

  it('rejects an unknown time zone', () => {
    try {
      startPingSource({
        name: 'p',
        schedule: '* * * * *',
        timezone: 'Mars/Base',
        sinkUrl: 'http://127.0.0.1:9/',
        logger,
      })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(PingSourceError)
      expect((error as PingSourceError).field).toBe('timezone')
    }
  })

  it('reports the next scheduled tick in the schedule time zone', async () => {
    const source = track(
      startPingSource({
        name: 'audit-retention-tick',
        schedule: '0 3 * * *',
        sinkUrl: 'http://127.0.0.1:9/',
        logger,
      }),
    )
    const next = source.nextTick()
    expect(next?.getUTCHours()).toBe(3)
    expect(next?.getUTCMinutes()).toBe(0)
  })
})
