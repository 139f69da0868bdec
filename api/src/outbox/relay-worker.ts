// The outbox relay inside a worker thread (see relay-thread.ts for why). It has everything of its own:
// a small pool to PostgreSQL, the Kafka producer, the LISTEN connection that wakes it, an event loop.
// It reports to the thread that started it through messages: its metrics observations, its status,
// and its log lines, which the API's logger writes (one stream, one redaction).
import { parentPort, workerData } from 'node:worker_threads'
import { type DestinationStream, pino } from 'pino'
import { openDatabase } from '../../../db/src/index.ts'
import type { KafkaSasl, KafkaTls } from '../../../kafka/src/index.ts'
import { startTelemetry, type TelemetrySettings } from '../../../platform/src/telemetry/index.ts'
import type { TasksDatabase } from '../database.ts'
import { createKafkaPublisher } from './kafka-publisher.ts'
import { createOutboxRelay, type OutboxRelayOptions, type OutboxRelayStatus } from './outbox-relay.ts'
import { wakeOnOutboxCommits } from './outbox-writer.ts'

/** What the API thread passes in workerData: plain data, cloned into the worker. */
export type RelayWorkerSettings = {
  databaseUrl: string
  kafka: { brokers: string[]; clientId: string; sasl?: KafkaSasl; ssl?: KafkaTls }
  relay: Required<Pick<OutboxRelayOptions, 'batchSize' | 'pollIntervalMs' | 'lingerMs' | 'maxLanes'>>
  /** The API's tracing settings: a thread has a tracer provider of its own, or its spans go nowhere. */
  telemetry: TelemetrySettings
  logLevel: string
}

export type ToRelayWorker = { kind: 'stop' } | { kind: 'wake' }

export type FromRelayWorker =
  | { kind: 'started'; status: OutboxRelayStatus }
  | { kind: 'status'; status: OutboxRelayStatus }
  | { kind: 'log'; line: string }
  | { kind: 'queried'; query: 'select' | 'mark'; seconds: number }
  | { kind: 'published'; createdAt: number[]; seconds: number }
  | { kind: 'failed'; seconds: number }
  | { kind: 'stopped' }

if (parentPort === null)
  throw new Error('relay-worker.ts runs as a worker thread (relay-thread.ts starts it)')
const port = parentPort
const settings = workerData as RelayWorkerSettings
const post = (message: FromRelayWorker) => port.postMessage(message)

const toParent: DestinationStream = { write: (line: string) => post({ kind: 'log', line }) }
const logger = pino({ level: settings.logLevel, base: null, timestamp: false }, toParent)

const telemetry = await startTelemetry(settings.telemetry, logger)
const database = await openDatabase<TasksDatabase>({
  url: settings.databaseUrl,
  // One connection selects and sends, one marks behind it; a third for the lane lease and housekeeping.
  poolMax: 3,
  applicationName: 'taskflow-api-outbox-relay',
  logger,
})
const publisher = createKafkaPublisher({ ...settings.kafka, logger })
const relay = createOutboxRelay({
  db: database.db,
  publisher,
  logger,
  ...settings.relay,
  observer: {
    queried: (query, seconds) => post({ kind: 'queried', query, seconds }),
    published: (records, seconds) =>
      post({ kind: 'published', createdAt: records.map((record) => record.createdAt.getTime()), seconds }),
    failed: (_error, seconds) => post({ kind: 'failed', seconds }),
  },
})
relay.start()
// A commit of another replica into lanes this relay holds wakes it through NOTIFY; this replica's own
// commits send a 'wake' message instead (commit-signal.ts).
const listener = wakeOnOutboxCommits(settings.databaseUrl, relay, logger)

// The status /readyz shows, sent when it changes (checked often: it is a few fields).
let lastStatus = ''
const statusTimer = setInterval(() => {
  const status = relay.status()
  const serialized = JSON.stringify(status)
  if (serialized === lastStatus) return
  lastStatus = serialized
  post({ kind: 'status', status })
}, 100)
post({ kind: 'started', status: relay.status() })

let stopping = false
async function stop(): Promise<void> {
  clearInterval(statusTimer)
  await relay.stop()
  await listener.close()
  await publisher.close().catch((error: unknown) => logger.warn({ err: error }, 'producer close failed'))
  await database.close()
  await telemetry.shutdown()
  post({ kind: 'stopped' })
}
port.on('message', (message: ToRelayWorker) => {
  if (message.kind === 'wake') relay.wake()
  else if (message.kind === 'stop' && !stopping) {
    stopping = true
    // process.exit ends this thread only, whatever a library left scheduled (kafkajs keeps timers).
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'outbox relay thread did not stop cleanly')
        process.exit(1)
      },
    )
  }
})
