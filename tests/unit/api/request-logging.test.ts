import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { context, propagation } from '@opentelemetry/api'
import express from 'express'
import { Histogram, Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { requestContext } from '../../../api/src/http/request-context.ts'
import { createLogger } from '../../../api/src/logger.ts'
import { W3CTraceContextPropagator } from '../../../events/src/trace-context.ts'
import { AsyncLocalStorageContextManager } from '../../support/otel-context-manager.ts'

type LogLine = Record<string, unknown> & { level: number; msg: string }

/** An app with the request context in front of three routes, logging to `lines` at `level`. */
async function serve(level: string) {
  const lines: LogLine[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text))
      done()
    },
  })
  const logger = createLogger({ level, destination })
  const child = vi.spyOn(logger, 'child')
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'test',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [new Registry()],
  })
  const app = express()
  app.use(requestContext(logger, latency))
  app.get('/logs', (req, res) => {
    req.log.warn({ step: 'inside' }, 'handler line')
    res.json({})
  })
  app.get('/quiet', (_req, res) => {
    res.json({})
  })
  app.get('/fails', (_req, res) => {
    res.status(500).json({})
  })
  const logAccessors: PropertyDescriptor[] = []
  app.get('/accessor', (req, res) => {
    logAccessors.push(Object.getOwnPropertyDescriptor(req, 'log')!)
    res.json({})
  })
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { headers })
    await response.arrayBuffer()
    // The access line is written on 'finish', which may come after the client read the response.
    await new Promise((resolve) => setTimeout(resolve, 20))
    return response
  }
  return { lines, child, logAccessors, get, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** Runs `use` against an app served at `level`, and closes the app whatever happens. */
async function withApp(level: string, use: (app: Awaited<ReturnType<typeof serve>>) => Promise<void>) {
  const app = await serve(level)
  try {
    await use(app)
  } finally {
    await app.close()
  }
}

describe('request logging', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  })
  afterAll(() => {
    context.disable()
    propagation.disable()
  })

  it('a handler line and the access line carry the request id and the caller trace', async () => {
    await withApp('info', async (app) => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      const response = await app.get('/logs', {
        'x-request-id': 'req-42',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      })
      expect(response.headers.get('x-request-id')).toBe('req-42')
      const handler = app.lines.find((line) => line.msg === 'handler line')
      expect(handler).toMatchObject({ level: 40, reqId: 'req-42', step: 'inside', trace_id: traceId })
      const access = app.lines.find((line) => line.msg === 'request')
      expect(access).toMatchObject({
        level: 30,
        reqId: 'req-42',
        method: 'GET',
        route: '/logs',
        path: '/logs',
        status: 200,
        trace_id: traceId,
      })
    })
  })

  it('a 5xx is logged as an error with its request id, a new one when the caller sent none', async () => {
    await withApp('info', async (app) => {
      const response = await app.get('/fails')
      const requestId = response.headers.get('x-request-id')
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(app.lines).toContainEqual(
        expect.objectContaining({ level: 50, msg: 'request failed', reqId: requestId, status: 500 }),
      )
    })
  })

  it('gives every request the same req.log accessor functions, not closures of its own', async () => {
    // A getter closure per request gave each request a hidden class of its own, which V8 keeps in old
    // space with the closure, and through it the request, until the next full GC: ~13 MB promoted per
    // scavenge at 1,000 POST/s (request-context.ts).
    await withApp('info', async (app) => {
      await app.get('/accessor')
      await app.get('/accessor')
      const [first, second] = app.logAccessors
      expect(first?.get).toBeTypeOf('function')
      expect(second?.get).toBe(first?.get)
      expect(second?.set).toBe(first?.set)
    })
  })

  it('makes no child logger for a request nobody logs from (level error, no handler line)', async () => {
    await withApp('error', async (app) => {
      await app.get('/quiet')
      await app.get('/quiet')
      expect(app.child).not.toHaveBeenCalled()
      expect(app.lines).toEqual([])
      // Still there for a handler that logs, and still only errors at this level.
      await app.get('/logs')
      expect(app.child).toHaveBeenCalledTimes(1)
      await app.get('/fails')
      expect(app.lines.map((line) => line.msg)).toEqual(['request failed'])
    })
  })
})
