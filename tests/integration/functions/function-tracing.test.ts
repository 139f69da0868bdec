// Needs: PostgreSQL (a database of its own). The audit-log function built and served by faas-js-runtime
// in a process of its own, with the standard OTEL_* settings pointing at an OTLP/HTTP receiver here:
// an event's invocation is a consumer span under the event's traceparent (the Task API's request, on a
// cluster), a read the API forwards is a server span continuing the request's traceparent header.
import { randomBytes } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../support/eventually.ts'
import {
  type RunningFunction,
  runtimeLogNoise,
  startFunctionProcess,
} from '../../support/function-process.ts'
import { postBinary } from '../../support/function-runtime.ts'
import { attribute, type OtlpReceiver, otlpSpanKind, startOtlpReceiver } from '../../support/otlp-receiver.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

const ready = await postgresAvailable()
const hex = (bytes: number) => randomBytes(bytes).toString('hex')

describe.runIf(ready)('function tracing through the OpenTelemetry SDK', () => {
  let database: TestDatabase
  let receiver: OtlpReceiver
  let auditLog: RunningFunction

  beforeAll(async () => {
    database = await createTestDatabase()
    receiver = await startOtlpReceiver()
    auditLog = await startFunctionProcess('audit-log', {
      DATABASE_URL: database.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Export within 100 ms rather than the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    })
  }, 120_000)
  afterAll(async () => {
    await auditLog?.stop()
    await receiver?.close()
    await database?.drop()
  })

  it('an event is processed in a consumer span whose parent is the span the event names', async () => {
    const [traceId, producerSpanId] = [hex(16), hex(8)]
    const event = { ...taskCreated(taskSnapshot()), traceparent: `00-${traceId}-${producerSpanId}-01` }
    const response = await postBinary(auditLog.url, event)
    expect(response.statusCode).toBe(200)
    await response.body.dump()

    const span = await eventually(
      () => receiver.spans.find((received) => received.traceId === traceId),
      'the invocation span of the event',
    )
    expect(span).toMatchObject({
      name: 'process dev.taskflow.task.created',
      kind: otlpSpanKind.consumer,
      parentSpanId: producerSpanId,
      service: 'audit-log',
    })
    expect(attribute(span.attributes, 'cloudevents.event_id')).toBe(event.id)
    expect(attribute(span.attributes, 'cloudevents.event_subject')).toBe(event.subject)
    expect(attribute(span.attributes, 'faas.trigger')).toBe('pubsub')
    expect(attribute(span.attributes, 'http.response.status_code')).toBe(200)
  })

  it('a forwarded read is a server span continuing the caller traceparent header', async () => {
    const [traceId, callerSpanId] = [hex(16), hex(8)]
    const response = await request(`${auditLog.url}/`, {
      headers: { authorization: 'Bearer dev.alice', traceparent: `00-${traceId}-${callerSpanId}-01` },
    })
    const status = response.statusCode
    await response.body.dump()
    expect(status).toBe(200)

    const span = await eventually(
      () => receiver.spans.find((received) => received.traceId === traceId),
      'the invocation span of the read',
    )
    expect(span).toMatchObject({
      kind: otlpSpanKind.server,
      parentSpanId: callerSpanId,
      service: 'audit-log',
    })
    expect(attribute(span.attributes, 'http.request.method')).toBe('GET')
    expect(attribute(span.attributes, 'http.response.status_code')).toBe(status)
  })

  it('logged nothing at error level meanwhile', () => {
    expect(auditLog.output.faults(runtimeLogNoise)).toEqual([])
  })
})
