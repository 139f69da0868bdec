// The outbox relay on a thread of its own. Inline, the relay shares the API's one event loop: under
// load each of its selects and sends waits behind request handling (measured at 1,000 POST/s on 2
// cores: ~22 ms a select, ~16 ms a send, most of it queueing), and that wait is the 201 -> Kafka
// latency. In a worker thread it has its own loop, pool, producer and LISTEN connection (for commits of
// other replicas). A commit of this replica wakes it with a message, at most one per turn of the API's
// event loop; the worker reports the lanes it holds with its status, which is how a commit knows it
// need not NOTIFY (commit-signal.ts). The worker is the same relay (outbox-relay.ts) with the same lanes
// and leases, so several replicas still share the work as before.
//
// Not the default (OUTBOX_RELAY_THREAD=worker turns it on): on 2 cores shared with PostgreSQL, Kafka and
// the load generator, the API served 0.70-0.96x the requests/s closed loop with the thread, and its
// request p99 at 1,000 POST/s ranged from 0.46x to 1.5x of the inline relay's between runs
// (`npm run bench -- api`, 2026-12-04): the thread takes CPU the request path was using. It pays where
// the replica has a CPU to spare for it.
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { OutboxRelay, OutboxRelayObserver, OutboxRelayStatus } from './outbox-relay.ts'
import type { FromRelayWorker, RelayWorkerSettings, ToRelayWorker } from './relay-worker.ts'

export type RelayThreadOptions = RelayWorkerSettings & {
  logger: Logger
  observer?: OutboxRelayObserver
  /** After the worker died unexpectedly, wait this long before starting another (doubling to 30 s). */
  restartDelayMs?: number
}

// From source the worker is relay-worker.ts beside this module; in the API image (one esbuild bundle
// per entry, api/Dockerfile) this code sits in dist/main.js and the worker is dist/relay-worker.js.
const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './relay-worker.ts' : './relay-worker.js',
  import.meta.url,
)

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

export function createRelayThread(options: RelayThreadOptions): OutboxRelay {
  const { logger, observer, restartDelayMs = 1_000, ...settings } = options
  let worker: Worker | undefined
  let running = false
  let restartTimer: NodeJS.Timeout | undefined
  let restarts = 0
  let wakePending = false
  let status: OutboxRelayStatus = {
    relayId: 'starting',
    running: false,
    kafka: 'unknown',
    lastError: undefined,
    ownedLanes: [],
    consecutiveFailures: 0,
  }

  /** The worker's pino line, written by the API's logger (its level name from pino's number). */
  function relog(line: string): void {
    let record: Record<string, unknown>
    try {
      record = JSON.parse(line) as Record<string, unknown>
    } catch {
      logger.warn({ line }, 'unreadable log line from the outbox relay thread')
      return
    }
    const { level, msg, ...fields } = record
    const name = levels[Math.round(Number(level) / 10) - 1] ?? 'info'
    logger[name]({ thread: 'outbox-relay', ...fields }, typeof msg === 'string' ? msg : '')
  }

  function onMessage(message: FromRelayWorker): void {
    switch (message.kind) {
      case 'log':
        relog(message.line)
        break
      case 'started':
      case 'status':
        status = message.status
        if (message.kind === 'started') restarts = 0
        break
      case 'queried':
        observer?.queried?.(message.query, message.seconds)
        break
      case 'published':
        observer?.published?.(
          message.createdAt.map((at) => ({ createdAt: new Date(at) })),
          message.seconds,
        )
        break
      case 'failed':
        observer?.failed?.(undefined, message.seconds)
        break
      case 'stopped':
        break
    }
  }

  function spawn(): void {
    const started = new Worker(workerUrl, { workerData: settings, name: 'outbox-relay' })
    worker = started
    started.on('message', onMessage)
    started.on('error', (error) => {
      status = { ...status, running: false, lastError: `relay thread failed: ${error.message}` }
      logger.error({ err: error }, 'outbox relay thread failed')
    })
    started.on('exit', (code) => {
      if (worker !== started) return
      worker = undefined
      if (!running) return
      // Died on its own (database unreachable at its start, a bug): the rows wait in the outbox, and
      // its lanes lapse so another replica may take them meanwhile. Start another, backing off.
      const delay = Math.min(30_000, restartDelayMs * 2 ** Math.min(restarts, 5))
      restarts += 1
      status = { ...status, running: false, kafka: 'unknown' }
      logger.warn({ code, restartInMs: delay }, 'outbox relay thread exited; starting another')
      restartTimer = setTimeout(() => {
        restartTimer = undefined
        if (running) spawn()
      }, delay)
    })
  }

  return {
    start() {
      if (running) return
      running = true
      spawn()
    },
    // Commits finishing in one turn of this event loop share one message.
    wake() {
      if (wakePending || worker === undefined) return
      wakePending = true
      setImmediate(() => {
        wakePending = false
        worker?.postMessage({ kind: 'wake' } satisfies ToRelayWorker)
      })
    },
    // As the worker last reported (every change, within 100 ms): a lane it lost meanwhile is found by
    // its new owner's poll.
    ownsLane: (lane) => status.running && status.ownedLanes.includes(lane),
    async stop() {
      if (!running) return
      running = false
      clearTimeout(restartTimer)
      const stopping = worker
      if (stopping === undefined) return
      const exited = new Promise<void>((resolve) => stopping.once('exit', () => resolve()))
      stopping.postMessage({ kind: 'stop' } satisfies ToRelayWorker)
      // It finishes its send and gives its lanes back; a wedged one is ended (its leases then lapse).
      const deadline = setTimeout(() => void stopping.terminate(), 20_000)
      await exited
      clearTimeout(deadline)
    },
    status: () => status,
  }
}
