// The local PingSource (sources.knative.dev/v1): on each tick of its cron schedule, one
// `dev.knative.sources.ping` CloudEvent in HTTP binary mode to the sink, as Knative's mtping adapter
// sends it: source `/apis/v1/namespaces/<ns>/pingsources/<name>`, a fresh id, `time` = the tick, the
// manifest's `data` as the body with its `contentType`. PingSource has no `delivery` field: a tick gets a
// small bounded retry on retryable answers (5xx, 404, 408, 409, 429, network errors) and is then dropped
// with an error log, so receivers must treat a tick as "catch up on everything due".
// For fast local runs `intervalOverrideMs` replaces the schedule with a fixed interval.
import { Cron } from 'croner'
import type { Logger } from 'pino'
import { v7 as uuidv7 } from 'uuid'
import type { DeliveryPolicy } from '../../../platform/src/knative-delivery.ts'
import { authorizationFor, type SenderIdentity } from './sender-identity.ts'
import { type DeliveryOutcome, type HttpEventRequest, SinkClient } from './sink-client.ts'

export const pingEventType = 'dev.knative.sources.ping'

export interface PingSourceOptions {
  readonly name: string
  /** Namespace in the event source; default `default`. */
  readonly namespace?: string
  /** Five-field cron expression, as in the manifest's `spec.schedule`. */
  readonly schedule: string
  /** IANA zone of the schedule (`spec.timezone`); default UTC. */
  readonly timezone?: string
  /** `spec.data`: sent as the body, unchanged. */
  readonly data?: string
  /** `spec.contentType`; Knative's default when data is set is `application/json`. */
  readonly contentType?: string
  readonly sinkUrl: string
  /** The sink's OIDC audience; with `identity`, each tick carries the source's token for it. */
  readonly sinkAudience?: string | undefined
  readonly identity?: SenderIdentity | undefined
  /** Tick every this many ms instead of the schedule (local fast ticks). */
  readonly intervalOverrideMs?: number
  /** Retries after the first attempt of a tick. Default 2. */
  readonly retries?: number
  readonly logger: Logger
}

export interface PingSourceStats {
  readonly ticks: number
  readonly delivered: number
  readonly failed: number
}

export interface PingSource {
  /** The next scheduled tick (with an interval override: the last tick, or the start, plus it); null once stopped. */
  nextTick(): Date | null
  /** When the last tick fired; null before the first. */
  lastTick(): Date | null
  stats(): PingSourceStats
  /** Emits one tick now (a manual trigger); resolves once its delivery finished or gave up. */
  tickNow(): Promise<void>
  stop(): Promise<void>
}

export class PingSourceError extends Error {
  readonly field: 'schedule' | 'timezone' | 'sinkUrl' | 'intervalOverrideMs'

  constructor(field: PingSourceError['field'], message: string) {
    super(message)
    this.name = 'PingSourceError'
    this.field = field
  }
}

/** Headers and body of one ping event in HTTP binary mode. */
export function pingEventRequest(
  options: Pick<PingSourceOptions, 'name' | 'namespace' | 'data' | 'contentType'>,
  tickAt: Date,
  id: string = uuidv7(),
): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-type': pingEventType,
    'ce-source': `/apis/v1/namespaces/${options.namespace ?? 'default'}/pingsources/${options.name}`,
    'ce-time': tickAt.toISOString(),
  }
  const body = options.data ?? ''
  if (body.length > 0 || options.contentType)
    headers['content-type'] = options.contentType ?? 'application/json'
  return { headers, body }
}

export function startPingSource(options: PingSourceOptions): PingSource {
  let sink: URL
  try {
    sink = new URL(options.sinkUrl)
  } catch {
    throw new PingSourceError(
      'sinkUrl',
      `PingSource ${options.name}: sink URL ${options.sinkUrl} is not a URL`,
    )
  }
  const override = options.intervalOverrideMs
  if (override !== undefined && !(Number.isFinite(override) && override > 0)) {
    throw new PingSourceError('intervalOverrideMs', `PingSource ${options.name}: interval must be > 0 ms`)
  }
  const timezone = options.timezone ?? 'Etc/UTC'
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone })
  } catch {
    throw new PingSourceError('timezone', `PingSource ${options.name}: unknown IANA time zone ${timezone}`)
  }
  const logger = options.logger.child({ pingSource: options.name })
  const policy: DeliveryPolicy = {
    retry: options.retries ?? 2,
    backoffPolicy: 'exponential',
    backoffDelayMs: 50,
    timeoutMs: 10_000,
  }
  const client = new SinkClient({ connections: 4 })
  const abort = new AbortController()
  const running = new Set<Promise<void>>()
  const counters = { ticks: 0, delivered: 0, failed: 0 }

  const bearer = authorizationFor(options.identity)
  async function withToken(request: HttpEventRequest): Promise<HttpEventRequest> {
    const authorization = await bearer(options.sinkAudience)
    return authorization === undefined
      ? request
      : { ...request, headers: { ...request.headers, authorization } }
  }

  let lastTickAt: Date | null = null
  function tick(tickAt: Date): Promise<void> {
    counters.ticks++
    lastTickAt = tickAt
    const request = pingEventRequest(options, tickAt)
    const delivery = withToken(request)
      .then((signed) => client.deliver(sink, signed, policy, { signal: abort.signal }))
      .then((outcome) => record(outcome, request.headers['ce-id']!))
      .catch((error: Error) => {
        counters.failed++
        logger.error({ err: error.message }, 'ping delivery failed')
      })
      .finally(() => running.delete(delivery))
    running.add(delivery)
    return delivery
  }

  function record(outcome: DeliveryOutcome, id: string): void {
    if (outcome.kind === 'delivered') {
      counters.delivered++
      return
    }
    if (outcome.kind === 'aborted') return
    counters.failed++
    logger.error(
      { id, attempts: outcome.attempts, status: outcome.last.status, err: outcome.last.error?.message },
      'ping event not delivered: dropped (PingSource has no dead-letter sink)',
    )
  }

  let cron: Cron | null = null
  let interval: NodeJS.Timeout | null = null
  const startedAt = new Date()
  if (override !== undefined) {
    interval = setInterval(() => void tick(new Date()), override)
  } else {
    try {
      cron = new Cron(options.schedule, { timezone }, (self: Cron) => {
        void tick(self.currentRun() ?? new Date())
      })
    } catch (error) {
      throw new PingSourceError(
        'schedule',
        `PingSource ${options.name}: invalid schedule "${options.schedule}": ${(error as Error).message}`,
      )
    }
  }
  logger.info(
    { schedule: override === undefined ? options.schedule : `every ${override} ms`, sink: sink.href },
    'ping source started',
  )

  return {
    nextTick: () => {
      if (override === undefined) return cron?.nextRun() ?? null
      return interval === null ? null : new Date((lastTickAt ?? startedAt).getTime() + override)
    },
    lastTick: () => lastTickAt,
    stats: () => ({ ...counters }),
    tickNow: () => tick(new Date()),
    async stop() {
      cron?.stop()
      cron = null
      if (interval) clearInterval(interval)
      interval = null
      abort.abort()
      await Promise.allSettled([...running])
      await client.close()
    },
  }
}
