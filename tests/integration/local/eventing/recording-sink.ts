import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A real HTTP sink for dispatcher tests: records every request, answers what the test decides, and
// tracks how many requests are in flight at once (overall and per Kafka partition).

export interface SinkRequest {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export type SinkReply = { status: number; body?: string; delayMs?: number; headers?: Record<string, string> }

export interface RecordingSink {
  readonly url: URL
  readonly requests: SinkRequest[]
  /** Requests answered 2xx, in the order they were answered. */
  readonly delivered: SinkRequest[]
  maxInFlight: number
  maxInFlightPerPartition: number
  reply: (request: SinkRequest, attempt: number) => SinkReply
  close(): Promise<void>
}

export async function startRecordingSink(path = '/'): Promise<RecordingSink> {
  let inFlight = 0
  const inFlightByPartition = new Map<string, number>()
  const attemptsById = new Map<string, number>()
  const sink: RecordingSink = {
    url: new URL('http://127.0.0.1'),
    requests: [],
    delivered: [],
    maxInFlight: 0,
    maxInFlightPerPartition: 0,
    reply: () => ({ status: 202 }),
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
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString() }
      sink.requests.push(request)
      const id = String(req.headers['ce-id'])
      const attempt = (attemptsById.get(id) ?? 0) + 1
      attemptsById.set(id, attempt)
      const reply = sink.reply(request, attempt)
      setTimeout(() => {
        inFlight--
        inFlightByPartition.set(partition, inFlightByPartition.get(partition)! - 1)
        if (reply.status < 300) sink.delivered.push(request)
        res.writeHead(reply.status, reply.headers).end(reply.body ?? '')
      }, reply.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  sink.url.port = String((server.address() as AddressInfo).port)
  sink.url.pathname = path
  return sink
}
