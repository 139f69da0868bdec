import { context, propagation } from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { W3CTraceContextPropagator } from '../../../events/src/trace-context.ts'
import { call, eventually, recordingPublisher, startEmbeddedApi } from '../../support/api-harness.ts'
import { AsyncLocalStorageContextManager } from '../../support/otel-context-manager.ts'

vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

describe('trace propagation', () => {
  let api: RunningApi
  const publisher = recordingPublisher()
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    api = await startEmbeddedApi(publisher)
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
