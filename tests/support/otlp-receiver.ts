// An OTLP/HTTP receiver of traces for tests: what an OpenTelemetry collector would get from a process
// started with OTEL_EXPORTER_OTLP_ENDPOINT pointing here and OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** OTLP/JSON as the http/json exporter sends it (ids as hex, as the OTLP spec's JSON mapping says). */
type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean }
export type OtlpAttribute = { key: string; value: OtlpValue }
export type OtlpSpan = {
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
export type ReceivedSpan = OtlpSpan & { service: string | undefined; contentType: string | undefined }

/** SpanKind in OTLP (the proto's enum, one more than @opentelemetry/api's). */
export const otlpSpanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const

export function attribute(attributes: OtlpAttribute[] | undefined, key: string): string | number | undefined {
  const value = attributes?.find((item) => item.key === key)?.value
  if (value === undefined) return undefined
  return value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))
}

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string
  /** Every span posted to /v1/traces so far, flattened, with its resource's service.name. */
  readonly spans: ReceivedSpan[]
  close(): Promise<void>
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
