// The local KafkaSink (eventing.knative.dev/v1alpha1): an addressable HTTP endpoint that writes each
// CloudEvent it receives (binary or structured mode) to its topic in the sink's `contentMode`, as
// Knative's KafkaSink receiver does:
// - 202 Accepted once the log acknowledged the record (acks=all on Kafka), never before;
// - 400 for a request that is not a valid CloudEvent, 415 for a structured format other than
//   application/cloudevents+json (batches included), 405 for anything but POST;
// - 503 when the write fails, so the sender (a KafkaSource dispatcher, a function's K_SINK client)
//   retries it: Knative's dispatchers retry 5xx.
// - with sender identity on: 401 without a valid token for the sink's audience, 403 for a sender no
//   EventPolicy allows, before the body is read (the kit's verifier, as the functions use).
// Record key: the `partitionkey` extension (CloudEvents Kafka binding), else the subject (our events keep
// one task in one partition that way), else none.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import {
  type CloudEventRecord,
  type CodecError,
  type ContentMode,
  httpCodec,
  kafkaCodec,
} from '../../../events/src/index.ts'
import type { SenderVerifier } from '../../../function-kit/src/event-sender.ts'
import type { LogProducer } from '../eventlog/types.ts'

export interface KafkaSinkOptions {
  readonly name: string
  readonly topic: string
  readonly producer: LogProducer
  readonly contentMode: ContentMode
  /** Default a free port. */
  readonly port?: number
  /** Largest accepted request body. Default 4 MiB. */
  readonly maxBodyBytes?: number
  readonly logger: Logger
  /** Checks each sender's token; absent: anyone may send (sender identity off). */
  readonly senders?: SenderVerifier
}

export interface KafkaSinkStats {
  readonly accepted: number
  readonly rejected: number
  readonly writeFailures: number
  /** Requests refused for their sender (401/403). */
  readonly refused: number
}

export interface KafkaSink {
  readonly url: string
  stats(): KafkaSinkStats
  stop(): Promise<void>
}

interface Problem {
  readonly status: number
  readonly title: string
  readonly detail: string
  readonly field?: string
}

const defaultMaxBodyBytes = 4 * 1024 * 1024

/** The Kafka record key Knative's KafkaSink would use for this event. */
export function recordKeyOf(event: CloudEventRecord): string | null {
  const partitionKey = event.partitionkey
  if (typeof partitionKey === 'string' && partitionKey.length > 0) return partitionKey
  return typeof event.subject === 'string' && event.subject.length > 0 ? event.subject : null
}

/** Why a request is not a CloudEvent, as the problem the sender gets back. */
export function problemForCodecError(error: CodecError, structured: boolean): Problem {
  const field = error.field
  switch (error.code) {
    case 'unsupported-format':
      return {
        status: 415,
        title: 'Unsupported Media Type',
        detail: `${error.message}: structured mode accepts application/cloudevents+json only`,
      }
    case 'not-cloudevent':
      return {
        status: 400,
        title: 'Not a CloudEvent',
        detail:
          'binary mode needs the ce-specversion, ce-id, ce-source and ce-type headers; structured mode needs ' +
          'content-type application/cloudevents+json',
      }
    case 'missing-attribute':
      return {
        status: 400,
        title: 'Invalid CloudEvent',
        detail: structured ? `the event has no "${field}" attribute` : `missing header ce-${field}`,
        ...(field === undefined ? {} : { field }),
      }
    default:
      return {
        status: 400,
        title: 'Invalid CloudEvent',
        detail: error.message,
        ...(field === undefined ? {} : { field }),
      }
  }
}

export async function startKafkaSink(options: KafkaSinkOptions): Promise<KafkaSink> {
  const logger = options.logger.child({ kafkaSink: options.name, topic: options.topic })
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  const counters = { accepted: 0, rejected: 0, writeFailures: 0, refused: 0 }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      respond(res, { status: 405, title: 'Method Not Allowed', detail: 'a KafkaSink accepts POST only' })
      return
    }
    if (options.senders) {
      const verdict = await options.senders.verify(req.headers.authorization)
      if (!verdict.ok) {
        counters.refused++
        logger.error({ status: verdict.status, reason: verdict.reason }, 'sender refused')
        if (verdict.status === 401) res.setHeader('www-authenticate', 'Bearer')
        const title = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[verdict.status]
        respond(res, { status: verdict.status, title, detail: verdict.reason })
        return
      }
    }
    const body = await readBody(req, maxBodyBytes)
    if (body === null) {
      counters.rejected++
      respond(res, {
        status: 413,
        title: 'Content Too Large',
        detail: `the body exceeds ${maxBodyBytes} bytes`,
      })
      return
    }
    const message = { headers: req.headers, body }
    let decoded = httpCodec.decode(message)
    // Knative's receiver forwards data unread: data that does not fit its content type (a dead letter
    // of a record that was not JSON) still goes to the topic, byte for byte.
    if (!decoded.ok && decoded.error.field === 'data')
      decoded = httpCodec.decode(message, { opaqueData: true })
    if (!decoded.ok) {
      counters.rejected++
      const structured =
        req.headers['content-type']?.toLowerCase().startsWith('application/cloudevents') === true
      respond(res, problemForCodecError(decoded.error, structured))
      return
    }
    const event = decoded.value
    const record = kafkaCodec.encode(event, { mode: options.contentMode })
    try {
      await options.producer.send(options.topic, [
        { key: recordKeyOf(event), value: record.value, headers: record.headers },
      ])
    } catch (error) {
      counters.writeFailures++
      logger.error(
        { id: event.id, source: event.source, err: (error as Error).message },
        'event log write failed',
      )
      respond(res, {
        status: 503,
        title: 'Service Unavailable',
        detail: `the event could not be written to ${options.topic}: retry`,
      })
      return
    }
    counters.accepted++
    res.writeHead(202)
    res.end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      logger.error({ err: error.message }, 'kafka sink request failed')
      if (!res.headersSent)
        respond(res, { status: 500, title: 'Internal Server Error', detail: error.message })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  logger.info({ url, contentMode: options.contentMode }, 'kafka sink listening')

  return {
    url,
    stats: () => ({ ...counters }),
    async stop() {
      server.closeIdleConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function respond(res: ServerResponse, problem: Problem): void {
  res.writeHead(problem.status, { 'content-type': 'application/problem+json' })
  res.end(JSON.stringify({ type: 'about:blank', ...problem }))
}

async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limitBytes) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
