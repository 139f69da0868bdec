// Needs: Kafka (the integration global setup's broker) and PostgreSQL (a database of its own).
// The Task API as its own process with the standard OTEL_* settings pointing at an OTLP/HTTP receiver
// here: its spans arrive there, continue the caller's trace, and the record on Kafka carries that trace
// on to the functions. With the relay inline and on its worker thread (a tracer provider of its own).
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kafka } from '../../../kafka/src/index.ts'
import { startApiProcess } from '../../support/api-process.ts'
import { eventually } from '../../support/eventually.ts'
import {
  consumeRecords,
  createTempTopic,
  kafkaAvailable,
  kafkaBrokers,
  type TempTopic,
  testKafka,
} from '../../support/kafka.ts'
import { attribute, type OtlpReceiver, otlpSpanKind, startOtlpReceiver } from '../../support/otlp-receiver.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'

const ready = (await postgresAvailable()) && (await kafkaAvailable())

describe.runIf(ready)('Task API tracing through the OpenTelemetry SDK', () => {
  let kafka: Kafka
  let database: TestDatabase
  let receiver: OtlpReceiver
  const topics: TempTopic[] = []

  beforeAll(async () => {
    kafka = testKafka('api-tracing')
    database = await createTestDatabase()
    receiver = await startOtlpReceiver()
  })
  afterAll(async () => {
    for (const topic of topics) await topic.delete().catch(() => {})
    await receiver?.close()
    await database?.drop()
  })

  for (const thread of ['inline', 'worker'] as const) {
    it(`exports the request's server span and the relay's producer span (relay ${thread})`, async () => {
      const topic = await createTempTopic(kafka)
      topics.push(topic)
      const api = await startApiProcess({
        DATABASE_URL: database.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        TASK_EVENTS_TOPIC: topic.name,
        OUTBOX_RELAY_THREAD: thread,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Export within 100 ms rather than the default 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      })
      try {
        const traceId = crypto.getRandomValues(Buffer.alloc(16)).toString('hex')
        const callerSpanId = crypto.getRandomValues(Buffer.alloc(8)).toString('hex')
        const created = await request(`${api.url}/tasks`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer dev.tracy',
            'content-type': 'application/json',
            traceparent: `00-${traceId}-${callerSpanId}-01`,
          },
          body: JSON.stringify({ title: `traced, relay ${thread}` }),
        })
        expect(created.statusCode).toBe(201)
        await created.body.dump()

        const server = await eventually(
          () => receiver.spans.find((span) => span.traceId === traceId && span.kind === otlpSpanKind.server),
          'the server span of POST /tasks',
        )
        expect(server).toMatchObject({
          name: 'POST /tasks',
          parentSpanId: callerSpanId,
          service: 'taskflow-api',
        })
        expect(server.contentType).toMatch(/^application\/json/)
        expect(attribute(server.attributes, 'http.request.method')).toBe('POST')
        expect(attribute(server.attributes, 'http.route')).toBe('/tasks')
        expect(attribute(server.attributes, 'http.response.status_code')).toBe(201)

        // The event continues the request's trace: the functions' spans hang under the server span.
        const [record] = await consumeRecords(kafka, topic.name, 1)
        expect(record!.headers.ce_traceparent).toBe(`00-${traceId}-${server.spanId}-01`)

        // The send happens later, in another context: a span of its own, linked to the request's.
        const producer = await eventually(
          () =>
            receiver.spans.find(
              (span) =>
                span.kind === otlpSpanKind.producer &&
                span.links?.some((link) => link.traceId === traceId && link.spanId === server.spanId),
            ),
          'the producer span linked to the request',
        )
        expect(producer).toMatchObject({ name: `send ${topic.name}`, service: 'taskflow-api' })
        expect(attribute(producer.attributes, 'messaging.system')).toBe('kafka')
        expect(attribute(producer.attributes, 'messaging.destination.name')).toBe(topic.name)
      } finally {
        expect(await api.stop()).toBe(0)
      }
      expect(api.output.faults()).toEqual([])
    })
  }
})
