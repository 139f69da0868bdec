// Publishes committed outbox rows and marks them published only after the log acknowledged them.
//
// Claiming: a relay leases whole lanes (tasks.outbox_lanes) and publishes a lane's rows in id order.
// Plain SKIP LOCKED would let relay B publish task X's second event while relay A still holds the first;
// with lanes, one task's events only ever go through one relay at a time. Ids follow commit order per
// task: each change locks the task row before inserting its outbox row, so a later event of the same
// task can only get its id after the earlier transaction committed.
import { randomUUID } from 'node:crypto'
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { type Kysely, sql } from 'kysely'
import type { Logger } from 'pino'
import { traceContextOf } from '../../../events/src/index.ts'
import type { TasksDatabase } from '../database.ts'
import { laneCount } from './lanes.ts'
import { defaultRetention, pruneExpiredRows, type RetentionPolicy } from './outbox-retention.ts'
import type { OutboxRecord, Publisher } from './publisher.ts'

export type KafkaState = 'unknown' | 'up' | 'down'

export type OutboxRelayObserver = {
  published?(records: readonly { createdAt: Date }[], sendSeconds: number): void
  failed?(error: unknown, sendSeconds: number): void
  /** Each database statement of a round: reading the next batch, marking a batch published. */
  queried?(query: 'select' | 'mark', seconds: number): void
}

export type OutboxRelayOptions = {
  db: Kysely<TasksDatabase>
  publisher: Publisher
  logger: Logger
  relayId?: string
  batchSize?: number
  /** Fallback poll when no in-process wake() arrives (rows written by another replica). */
  pollIntervalMs?: number
  /**
   * Before reading, a round waits this long (default 5 ms) unless the previous round filled a whole
   * batch, so the commits of those milliseconds share one read, one Kafka request and one mark. The
   * Kafka producer's linger.ms does the same (its default became 5 ms in Kafka 4.0).
   */
  lingerMs?: number
  /** A lane lease outlives any one send; a relay that stops renewing loses its lanes after this. */
  leaseMs?: number
  /**
   * At most this many lanes per relay (default all 16). With N replicas, 16/N spreads the work; with the
   * default one relay publishes everything and the others stand by, taking over when its lease lapses.
   */
  maxLanes?: number
  backoff?: { initialMs: number; maxMs: number }
  observer?: OutboxRelayObserver
  /** Deletes published rows and old idempotency keys about once a minute; false turns it off. */
  retention?: RetentionPolicy | false
}

export type OutboxRelayStatus = {
  relayId: string
  running: boolean
  kafka: KafkaState
  lastError: string | undefined
  ownedLanes: number[]
  consecutiveFailures: number
}

export type OutboxRelay = {
  start(): void
  /** Called after a commit that wrote outbox rows: publish now instead of at the next poll. */
  wake(): void
  /** Whether this relay holds the lane's lease now (as of its last claim), so it publishes the lane's rows. */
  ownsLane(lane: number): boolean
  /** Stops after the batch in flight and gives the lanes back so another replica takes over at once. */
  stop(): Promise<void>
  status(): OutboxRelayStatus
}

type ClaimedRow = {
  id: string
  topic: string
  key: string | null
  headers: Record<string, string>
  value: Buffer
  created_at: Date
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const {
    db,
    publisher,
    relayId = `relay-${randomUUID()}`,
    batchSize = 500,
    pollIntervalMs = 1000,
    lingerMs = 5,
    leaseMs = 30_000,
    maxLanes = laneCount,
    backoff = { initialMs: 200, maxMs: 10_000 },
    observer,
    retention = defaultRetention,
  } = options
  const logger = options.logger.child({ component: 'outbox-relay', relayId })
  // A send must end well inside the lease, or another relay could take the lane while it is in flight.
  const sendTimeoutMs = Math.floor(leaseMs * 0.6)

  let running = false
  let loop: Promise<void> | undefined
  let woken = false
  let wakeSleeper: (() => void) | undefined
  let kafka: KafkaState = 'unknown'
  let lastError: string | undefined
  let ownedLanes: number[] = []
  let consecutiveFailures = 0
  let lastPruneAt = 0
  let claimedAt = 0
  // Acknowledged by the log, not yet marked published: marked by the next round's statement, or on
  // their own when no round follows at once (see nextBatch and flushMarks).
  let unmarked: string[] = []
  const pruneIntervalMs = 60_000

  /**
   * One bounded batch per table, on a round that found nothing to publish. While a batch comes back
   * full, more rows have expired than one batch holds (a replica writing 1,000 events/s expires 60,000 a
   * minute): the next idle round deletes another batch instead of waiting a minute, so housekeeping
   * keeps up with any write rate while never holding the relay for more than one batch at a time.
   */
  async function pruneWhenDue(): Promise<void> {
    if (retention === false || Date.now() - lastPruneAt < pruneIntervalMs) return
    lastPruneAt = Date.now()
    try {
      const pruned = await pruneExpiredRows(db, retention)
      if (pruned.outbox + pruned.idempotencyKeys > 0)
        logger.info(pruned, 'expired outbox rows and idempotency keys deleted')
      if (pruned.outbox >= retention.batch || pruned.idempotencyKeys >= retention.batch) lastPruneAt = 0
    } catch (error) {
      logger.warn({ err: error }, 'outbox housekeeping failed; retried in a minute')
    }
  }

  function wake(): void {
    woken = true
    wakeSleeper?.()
  }

  /** Waits for `ms`, or less when woken (unless `ignoreWake`: a backoff is not cut short by new writes). */
  function sleep(ms: number, ignoreWake: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wakeSleeper = undefined
        resolve()
      }
      wakeSleeper = () => {
        if (!ignoreWake || !running) done()
      }
      if (!running || (woken && !ignoreWake)) done()
    })
  }

  /**
   * Renews the lanes this relay holds and takes free or expired ones, up to maxLanes. FOR UPDATE SKIP
   * LOCKED makes two relays claiming at once split the free lanes instead of waiting on each other;
   * a lane locked by another claim is re-checked against its committed owner, so it is never shared.
   */
  async function claimLanes(): Promise<number[]> {
    const { rows } = await sql<{ lane: number }>`
      update tasks.outbox_lanes
         set owner = ${relayId}, lease_until = now() + ${`${leaseMs} milliseconds`}::interval
       where lane in (
         select lane from tasks.outbox_lanes
          where owner = ${relayId} or owner is null or lease_until < now()
          order by coalesce(owner = ${relayId}, false) desc, lane
          limit ${maxLanes}
          for update skip locked)
      returning lane`.execute(db)
    return rows.map((row) => row.lane).sort((a, b) => a - b)
  }

  async function releaseLanes(): Promise<void> {
    await db
      .updateTable('tasks.outbox_lanes')
      .set({ owner: null, lease_until: null })
      .where('owner', '=', relayId)
      .execute()
  }

  /**
   * One statement per round: marks the rows the previous round got acknowledged and reads the next
   * batch. The select sees the table as it was before the update (a data-modifying CTE), so it leaves
   * those rows out by id. The read is tasks.unpublished_outbox_rows (api/migrations/0002): the rows in
   * id order, by an index scan that skips the dead index entries earlier rounds' marks left. If the
   * statement fails, neither happened: the rows stay in `unmarked`, are not sent again by this relay, and
   * are marked by the next statement that succeeds.
   */
  async function nextBatch(lanes: number[]): Promise<ClaimedRow[]> {
    const marking = unmarked
    const { rows } = await sql<ClaimedRow>`
      with marked as (
        update tasks.outbox set published_at = now()
         where id = any(${marking}::bigint[]) and published_at is null)
      select id, topic, key, headers, value, created_at
        from tasks.unpublished_outbox_rows(${lanes}::int[], ${marking}::bigint[], ${batchSize}::int)`.execute(
      db,
    )
    // Rows acknowledged while the statement ran were not part of it: only what it marked goes.
    unmarked = unmarked.slice(marking.length)
    return rows
  }

  /**
   * Marks acknowledged rows on their own when no round follows at once (the relay is about to sleep or
   * stop), so the backlog readiness and metrics show drains to zero. A failure leaves them for the next
   * round's statement; a relay that dies first leaves them to be sent again, with the same CloudEvent
   * ids, which consumers' inboxes drop (at least once, never lost).
   */
  async function flushMarks(): Promise<void> {
    if (unmarked.length === 0) return
    const marking = unmarked
    const started = performance.now()
    try {
      await sql`update tasks.outbox set published_at = now()
                 where id = any(${marking}::bigint[]) and published_at is null`.execute(db)
      observer?.queried?.('mark', (performance.now() - started) / 1000)
      unmarked = unmarked.slice(marking.length)
    } catch (error) {
      logger.warn({ err: error, count: marking.length }, 'could not mark published rows; retried next round')
    }
  }

  async function publishInOrder(rows: readonly ClaimedRow[]): Promise<void> {
    // One send per topic, rows in id order; the producer keeps order per partition.
    const byTopic = new Map<string, OutboxRecord[]>()
    for (const row of rows) {
      const records = byTopic.get(row.topic) ?? []
      records.push({ key: row.key, value: row.value, headers: row.headers })
      byTopic.set(row.topic, records)
    }
    for (const [topic, records] of byTopic) {
      await tracedSend(topic, records, () =>
        withTimeout(publisher.publish(topic, records), sendTimeoutMs, `publish to ${topic}`),
      )
    }
  }

  /** One round: claim lanes, publish a batch. Returns whether more rows may be waiting. */
  async function round(): Promise<boolean> {
    // Renewing is a write: do it when a quarter of the lease has passed, not on every round. The lease
    // left (at least 3/4 of it) still outlasts a send (sendTimeoutMs is 0.6 of it). Measured from before
    // the claim statement ran, so this process never believes in more lease than the database granted.
    if (ownedLanes.length === 0 || performance.now() - claimedAt > leaseMs / 4) {
      const startedClaim = performance.now()
      ownedLanes = await claimLanes()
      claimedAt = startedClaim
    }
    if (ownedLanes.length === 0) return false
    const selectStarted = performance.now()
    const rows = await nextBatch(ownedLanes)
    observer?.queried?.('select', (performance.now() - selectStarted) / 1000)
    if (rows.length === 0) return false
    const ids = rows.map((row) => row.id)
    const startedAt = performance.now()
    try {
      await publishInOrder(rows)
    } catch (error) {
      const seconds = (performance.now() - startedAt) / 1000
      observer?.failed?.(error, seconds)
      await db
        .updateTable('tasks.outbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: describe(error).slice(0, 1000) }))
        .where('id', 'in', ids)
        .execute()
        .catch(() => {})
      throw new PublishFailed(error)
    }
    const seconds = (performance.now() - startedAt) / 1000
    kafka = 'up'
    unmarked.push(...ids)
    observer?.published?.(
      rows.map((row) => ({ createdAt: row.created_at })),
      seconds,
    )
    logger.debug({ count: rows.length, seconds }, 'outbox rows published')
    return rows.length === batchSize
  }

  async function run(): Promise<void> {
    // Measured at 1,000 POST/s on the 2-core bench machine: without the linger each commit's wake made a
    // round of its own (~4 events per Kafka request); with 5 ms, -10 % API and -11 % PostgreSQL CPU per
    // request, at a few ms more from commit to Kafka.
    let batchWaiting = false
    while (running) {
      if (lingerMs > 0 && !batchWaiting) {
        await new Promise((resolve) => setTimeout(resolve, lingerMs))
        if (!running) break
      }
      woken = false
      let more = false
      let failed = false
      try {
        more = await round()
        consecutiveFailures = 0
        lastError = undefined
      } catch (error) {
        failed = true
        consecutiveFailures += 1
        lastError = describe(error instanceof PublishFailed ? error.cause : error)
        if (error instanceof PublishFailed) kafka = 'down'
        const log = consecutiveFailures === 1 || consecutiveFailures % 20 === 0 ? logger.warn : logger.debug
        log.call(logger, { err: error, consecutiveFailures }, 'outbox relay round failed; backing off')
      }
      // A full batch means more rows are waiting already: the next round reads them at once.
      batchWaiting = more
      if (!running) break
      if (failed) {
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(consecutiveFailures - 1, 16))
        await sleep(jitter(delay), true)
      } else if (!more) {
        // Nothing committed meanwhile: mark now rather than with a round that may be a poll away.
        if (!woken) await flushMarks()
        await pruneWhenDue()
        await sleep(pollIntervalMs, false)
      }
    }
  }

  return {
    start() {
      if (running) return
      running = true
      loop = run()
      logger.info({ batchSize, pollIntervalMs, leaseMs }, 'outbox relay started')
    },
    wake,
    ownsLane: (lane) => ownedLanes.includes(lane),
    async stop() {
      if (!running) return
      running = false
      wakeSleeper?.()
      await loop
      await flushMarks()
      await releaseLanes().catch((error: unknown) =>
        logger.warn({ err: error }, 'could not release outbox lanes'),
      )
      ownedLanes = []
      logger.info('outbox relay stopped')
    },
    status: () => ({ relayId, running, kafka, lastError, ownedLanes: [...ownedLanes], consecutiveFailures }),
  }
}

const tracer = trace.getTracer('taskflow-api')

/**
 * A producer span per send (OpenTelemetry messaging conventions), linked to the span of each request
 * that wrote one of the events: the send happens later, in another context, so a link, not a parent.
 */
async function tracedSend(
  topic: string,
  records: readonly OutboxRecord[],
  send: () => Promise<void>,
): Promise<void> {
  const links = records.flatMap((record) => {
    const spanContext = trace.getSpanContext(
      traceContextOf(
        { traceparent: record.headers.ce_traceparent, tracestate: record.headers.ce_tracestate },
        ROOT_CONTEXT,
      ),
    )
    return spanContext === undefined ? [] : [{ context: spanContext }]
  })
  const span = tracer.startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    links,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': records.length,
    },
  })
  try {
    await send()
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setStatus({ code: SpanStatusCode.ERROR })
    throw error
  } finally {
    span.end()
  }
}

class PublishFailed extends Error {
  constructor(cause: unknown) {
    super(`publish failed: ${describe(cause)}`, { cause })
    this.name = 'PublishFailed'
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

// ±20 % so replicas that failed together do not retry in lockstep.
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4))
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
