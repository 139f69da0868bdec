// Needs: Kafka (the integration global setup's broker) and PostgreSQL (a database of its own).
// The Task API as its own process with the standard OTEL_* settings pointing at an OTLP/HTTP receiver
// here: its spans arrive there, continue the caller's trace, and the record on Kafka carries that trace
// on to the functions. With the relay inline and on its worker thread (a tracer provider of its own).
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'

const ready = (await postgresAvailable()) && (await kafkaAvailable())

/** OTLP/JSON as the http/json exporter sends it (ids as hex, as the OTLP spec's JSON mapping says). */
type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean }
type OtlpAttribute = { key: string; value: OtlpValue }
type OtlpSpan = {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: OtlpAttribute[]
  links?: { traceId: string; spanId: string }[]
  status?: { code?: number }
}
type OtlpExport = {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[]
}
type ReceivedSpan = OtlpSpan & { service: string | undefined; contentType: string | undefined }

// SpanKind in OTLP (the proto's enum, one more than @opentelemetry/api's).
const serverKind = 2
const producerKind = 4

function attribute(attributes: OtlpAttribute[] | undefined, key: string): string | number | undefined {
  const value = attributes?.find((item) => item.key === key)?.value
  if (value === undefined) return undefined
  return value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))
}

/** An OTLP/HTTP receiver of traces: every span posted to /v1/traces, flattened with its service. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport
        for (const resourceSpans of body.resourceSpans) {
          const service = attribute(resourceSpans.resource.attributes, 'service.name')
          for (const scope of resourceSpans.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                ...span,
                service: service === undefined ? undefined : String(service),
                contentType: req.headers['content-type'],
              })
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server }
}

describe.runIf(ready)('Task API tracing through the OpenTelemetry SDK', () => {
  let kafka: Kafka
  let database: TestDatabase
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
  const topics: TempTopic[] = []

  beforeAll(async () => {
    kafka = testKafka('api-tracing')
    database = await createTestDatabase()
    receiver = await startOtlpReceiver()
  })
  afterAll(async () => {
    for (const topic of topics) await topic.delete().catch(() => {})
    receiver?.server.close()
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
          () => receiver.spans.find((span) => span.traceId === traceId && span.kind === serverKind),
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
                span.kind === producerKind &&
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
