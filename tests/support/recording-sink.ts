import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CloudEventRecord, httpCodec } from '../../events/src/index.ts'

// One real HTTP receiver on loopback for every test that needs something on the other end of a POST:
// a KafkaSink stand-in for K_SINK, a Knative subscriber for the dispatcher, a webhook endpoint. It
// records every request, answers what the test decides, and tracks how many requests are in flight
// at once (overall and per Kafka partition, for the dispatcher's ordering tests).

export interface SinkRequest {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export type SinkReply = { status: number; body?: string; delayMs?: number; headers?: Record<string, string> }

export interface RecordingSinkOptions {
  /** Path of the sink's URL (default `/`). */
  readonly path?: string
  /** Status of a request that neither `statuses` nor `reply` decides otherwise (default 202). */
  readonly status?: number
  /** Answer 400 to a body that is not a CloudEvent, as Knative's KafkaSink receiver does. */
  readonly cloudEventsOnly?: boolean
}

export interface RecordingSink {
  readonly url: string
  /** Every request, in arrival order. */
  readonly requests: SinkRequest[]
  /** Requests answered 2xx, in the order they were answered. */
  readonly delivered: SinkRequest[]
  /** The CloudEvents among the requests answered 2xx, in the order they were answered. */
  readonly accepted: CloudEventRecord[]
  /** Statuses the next requests get, one each, before `reply` decides again. */
  readonly statuses: number[]
  /** Decides the answer; `attempt` counts requests with the same `ce-id` header, from 1. */
  reply: (request: SinkRequest, attempt: number) => SinkReply
  maxInFlight: number
  maxInFlightPerPartition: number
  close(): Promise<void>
}

export async function startRecordingSink(options: RecordingSinkOptions = {}): Promise<RecordingSink> {
  const defaultStatus = options.status ?? 202
  let inFlight = 0
  const inFlightByPartition = new Map<string, number>()
  const attemptsById = new Map<string, number>()
  const sink: RecordingSink = {
    url: '',
    requests: [],
    delivered: [],
    accepted: [],
    statuses: [],
    reply: () => ({ status: defaultStatus }),
    maxInFlight: 0,
    maxInFlightPerPartition: 0,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const server: Server = createServer((req, res) => {
    const partition = String(req.headers['ce-knativekafkapartition'] ?? '')
    inFlight++
    inFlightByPartition.set(partition, (inFlightByPartition.get(partition) ?? 0) + 1)
    sink.maxInFlight = Math.max(sink.maxInFlight, inFlight)
    sink.maxInFlightPerPartition = Math.max(sink.maxInFlightPerPartition, inFlightByPartition.get(partition)!)
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const request: SinkRequest = { headers: req.headers, body: raw.toString() }
      sink.requests.push(request)
      const id = String(req.headers['ce-id'])
      const attempt = (attemptsById.get(id) ?? 0) + 1
      attemptsById.set(id, attempt)
      const decoded = httpCodec.decode({ headers: req.headers, body: raw })
      const queued = sink.statuses.shift()
      const reply: SinkReply =
        options.cloudEventsOnly && !decoded.ok
          ? { status: 400 }
          : queued !== undefined
            ? { status: queued }
            : sink.reply(request, attempt)
      setTimeout(() => {
        inFlight--
        inFlightByPartition.set(partition, inFlightByPartition.get(partition)! - 1)
        if (reply.status >= 200 && reply.status < 300) {
          sink.delivered.push(request)
          if (decoded.ok) sink.accepted.push(decoded.value)
        }
        res.writeHead(reply.status, reply.headers).end(reply.body ?? '')
      }, reply.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  url.pathname = options.path ?? '/'
  return Object.assign(sink, { url: url.href })
}
