// What a function reports at GET /metrics: each CloudEvent it handled, by type and by the outcome
// Knative's dispatcher reads from its status; HTTP reads are not events and are not counted.
import { describe, expect, it } from 'vitest'
import { functionEntry } from '../../../function-kit/src/entry.ts'
import type { FunctionContext } from '../../../function-kit/src/invocation.ts'
import { functionMetrics, outcomeOf } from '../../../function-kit/src/metrics.ts'
import { registeredFunctionMetrics } from '../../../function-kit/src/metrics-slot.ts'
import type { FunctionResponse } from '../../../function-kit/src/outcome.ts'

const respond = (statusCode: number): FunctionResponse => ({ statusCode, headers: {}, body: '' })
const event = (type: string) => ({ specversion: '1.0', id: 'x', source: '/test', type })
const context = {} as FunctionContext

describe('function metrics', () => {
  it("maps statuses to Knative's reading: done, rejected (dead-lettered), refused, retry", () => {
    expect([200, 202, 204].map(outcomeOf)).toEqual(['done', 'done', 'done'])
    expect([400, 422, 413].map(outcomeOf)).toEqual(['rejected', 'rejected', 'rejected'])
    expect([401, 403].map(outcomeOf)).toEqual(['refused', 'refused'])
    expect([404, 408, 409, 429, 500, 503].map(outcomeOf)).toEqual([
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
    ])
  })

  it('counts events by type and outcome, a throwing handler as retry, and no HTTP reads', async () => {
    const statuses = [204, 422, 503]
    const entry = functionEntry(
      'metrics-test',
      {
        telemetry: { tracing: false, defaultServiceName: undefined, sdkLogLevel: 'info' },
        logger: undefined as never,
      },
      {
        init: async () => {},
        shutdown: async () => {},
        handle: async (_context, body) => {
          if ((body as { type?: string }).type === 'boom') throw new Error('boom')
          return respond(statuses.shift() ?? 200)
        },
      },
    )
    await entry.handle(context, event('a.created'))
    await entry.handle(context, event('a.created'))
    await entry.handle(context, event('b.updated'))
    await expect(entry.handle(context, event('boom'))).rejects.toThrow('boom')
    await entry.handle(context, { query: 'not an event' })
    const text = await (registeredFunctionMetrics() ?? functionMetrics('metrics-test').registry).metrics()
    const count = (type: string, outcome: string) =>
      Number(
        new RegExp(
          `^taskflow_function_events_total\\{cloudevents_type="${type}",outcome="${outcome}",function="metrics-test"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      )
    expect([
      count('a.created', 'done'),
      count('a.created', 'rejected'),
      count('b.updated', 'retry'),
      count('boom', 'retry'),
    ]).toEqual([1, 1, 1, 1])
    expect(text).not.toContain('not an event')
    expect(text).toMatch(
      /^taskflow_function_event_duration_seconds_count\{function="metrics-test",cloudevents_type="a\.created",outcome="done"\} 1$/m,
    )
  })
})

describe('function health endpoints', () => {
  it('answer 200 OK whatever the event loop lag: the runtime listens only after init()', () => {
    const entry = functionEntry(
      'health-test',
      {
        telemetry: { tracing: false, defaultServiceName: undefined, sdkLogLevel: 'info' },
        logger: undefined as never,
      },
      { init: async () => {}, shutdown: async () => {}, handle: async () => respond(204) },
    )
    const headers: Record<string, string> = {}
    const reply = { header: (name: string, value: string) => (headers[name] = value) }
    expect(entry.readiness({}, reply)).toBe('OK')
    expect(entry.liveness({}, reply)).toBe('OK')
    expect(headers['content-type']).toMatch(/^text\/plain/)
  })
})
