import { AsyncLocalStorage } from 'node:async_hooks'
import { type Context, type ContextManager, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../../api/src/config.ts'
import { type RunningApi, startApi } from '../../../api/src/start-api.ts'
import { W3CTraceContextPropagator } from '../../../events/src/trace-context.ts'
import { call, eventually, recordingPublisher, silentLogger } from './api-harness.ts'

vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

// What an OpenTelemetry SDK registers: a context manager that follows async calls, and a propagator.
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#storage.disable()
    return this
  }
}

describe('trace propagation', () => {
  let api: RunningApi
  const publisher = recordingPublisher()
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    const config = loadConfig({
      PGLITE_DATA_DIR: 'memory://',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    })
    api = await startApi(config, { logger: silentLogger, publisher })
  })
  afterAll(async () => {
    await api?.close()
    context.disable()
    propagation.disable()
  })

  it('an event carries the trace of the request that caused it', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const created = await call(api.url, 'POST', '/tasks', {
      body: { title: 'traced' },
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    })
    expect(created.status).toBe(201)
    const [record] = await eventually(
      () => publisher.records,
      (records) => records.length === 1,
    )
    expect(record!.headers.ce_traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
  })
})
