import type { Logger } from 'pino'
import type { Admin, Consumer, EachBatchPayload } from '../../../kafka/src/index.ts'
import { defaultCommitIntervalMs, defaultDetachAfterMs, defaultMaxBatchRecords } from './defaults.ts'
import { assertConcurrency, assertConsumerOptions, EventLogError } from './errors.ts'
import type {
  BatchContext,
  GroupConsumer,
  GroupConsumerOptions,
  GroupConsumerRun,
  LogRecord,
  TopicPartition,
} from './types.ts'

/** A detached batch that failed holds its partition this long before it is fetched again. */
const failedBatchPauseMs = 1_000

/**
 * A group member on Kafka. kafkajs' consumer does the protocol; this adapts it to the log's contract:
 * - offsets are resolved by the handler (eachBatchAutoResolve off). kafkajs' runner commits the
 *   resolved offsets when each batch returns (so also before it rejoins on a rebalance and before it
 *   leaves the group on stop) and, within long batches, every `commitIntervalMs` (on heartbeat()); a
 *   detached batch (below) commits when it ends, and on a rebalance at best;
 * - `isolation.level=read_committed` (kafkajs' default, readUncommitted=false), as Knative configures;
 * - assignor: kafkajs ships only its RoundRobin assignor (no sticky one): floor/ceil per member, but
 *   partitions may move on every rebalance;
 * - kafkajs hands over whole fetch responses; batches are cut to `maxBatchRecords`;
 * - one partition's batch does not hold up the others (Knative: one queue per partition). kafkajs
 *   fetches again only once every batch of the last fetch has returned, so a partition whose sink is in
 *   retries would stop all of them. The last batch of a fetch still running after `detachAfterMs`
 *   returns to kafkajs with its partition paused and goes on by itself (untilReturnOrDetach); when it
 *   ends it commits what it resolved and resumes the partition, which kafkajs then fetches from the
 *   first unresolved offset.
 */
export function createKafkaGroupConsumer(
  consumer: Consumer,
  options: GroupConsumerOptions,
  connectedAdmin: () => Promise<Admin>,
  logger: Logger,
): GroupConsumer {
  assertConsumerOptions(options)
  const { groupId, initialOffset } = options
  const topics = [...new Set(options.topics)]
  const commitIntervalMs = options.commitIntervalMs ?? defaultCommitIntervalMs
  const maxBatchRecords = options.maxBatchRecords ?? defaultMaxBatchRecords
  const detachAfterMs = options.detachAfterMs ?? defaultDetachAfterMs
  const log = logger.child({ component: 'eventlog', groupId })

  let assigned: TopicPartition[] = []
  let started = false
  let stopping = false
  let stopped: Promise<void> | undefined
  // Bumped when the group rebalances: a detached batch of an earlier generation may no longer own its
  // partition, so what it delivers after that is left to the partition's next owner (it comes again).
  let generation = 0
  const activeBatches = new Set<AbortController>()
  /** Detached batches, each with its kafkajs payload (for commits after it returned to kafkajs). */
  const detachedBatches = new Map<Promise<void>, EachBatchPayload>()
  /** Batches kafkajs is waiting for, each as its check whether to go on detached. */
  const attachedBatches = new Set<() => void>()
  const abortAll = (reason: string) => {
    for (const controller of activeBatches) controller.abort(new Error(reason))
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    )
  })
  // kafkajs' rebalance is eager: every partition is revoked, so every running batch should return.
  consumer.on(consumer.events.REBALANCING, () => {
    assigned = []
    // Knative commits on revocation: what detached batches resolved goes before the group re-forms
    // (best effort; kafkajs does not wait for it, and what it misses comes again to the next owner).
    const payload = detachedBatches.values().next().value
    if (payload !== undefined)
      void payload.commitOffsetsIfNecessary(payload.uncommittedOffsets()).catch(() => {})
    generation++
    abortAll('group rebalancing')
  })

  async function eachBatch(payload: EachBatchPayload, handlers: GroupConsumerRun): Promise<void> {
    const { batch } = payload
    const controller = new AbortController()
    activeBatches.add(controller)
    if (stopping) controller.abort(new Error('consumer stopping'))
    const startedIn = generation
    let detached = false
    // Once detached, only while the group has not rebalanced since the batch began.
    const owned = () => !detached || generation === startedIn
    let lastResolved: string | undefined
    const context: BatchContext = {
      resolveOffset(offset) {
        if (!owned()) return
        payload.resolveOffset(offset)
        lastResolved = offset
      },
      async heartbeat() {
        try {
          await payload.heartbeat()
          // Knative commits every 5 s even while a partition is stuck in retries: a long batch commits
          // what it resolved at the interval, not only when it returns.
          await payload.commitOffsetsIfNecessary()
        } catch (error) {
          // A failed heartbeat means the group is rebalancing (or the member was dropped): the batch
          // must return so kafkajs can rejoin; its resolved offsets are committed on the way out.
          log.debug({ err: error }, 'heartbeat failed; ending the batch')
          controller.abort(error)
        }
      },
      isActive: () => !controller.signal.aborted && payload.isRunning() && !payload.isStale(),
      signal: controller.signal,
    }
    const work = runSlices(payload, handlers, context, () => lastResolved).finally(() =>
      activeBatches.delete(controller),
    )
    if (!(await untilReturnOrDetach(work))) return
    detached = true
    const resume = payload.pause()
    const finished = work
      .catch(async (error: unknown) => {
        // kafkajs would restart the consumer after a pause; here the partition is fetched again from
        // its first unresolved record after one, so nothing is skipped.
        log.error(
          { err: error, topic: batch.topic, partition: batch.partition },
          'batch failed; fetched again in a second',
        )
        if (!stopping) await new Promise((resolve) => setTimeout(resolve, failedBatchPauseMs))
      })
      .then(async () => {
        if (!owned()) return
        const uncommitted = payload.uncommittedOffsets()
        if (uncommitted.topics.length > 0)
          await payload.commitOffsetsIfNecessary(uncommitted).catch((error: unknown) => {
            log.debug({ err: error }, 'commit after a detached batch failed; committed with the next one')
          })
      })
      .finally(() => {
        detachedBatches.delete(finished)
        if (!stopping) resume()
        recheckAttached()
      })
    detachedBatches.set(finished, payload)
  }

  /**
   * Resolves false when the batch ends, or true when it should go on detached: it has run for
   * detachAfterMs and is the last batch of its fetch still running (the one kafkajs' fetcher waits
   * for), and another partition is not paused (with every partition paused kafkajs' fetcher sleeps
   * maxWaitTime before it looks again, which would delay the partition that resumes first). Batches
   * running side by side (a backlog on every partition) stay attached, so one fetch serves them all.
   */
  function untilReturnOrDetach(work: Promise<void>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      // Set by the timer itself, not by comparing clocks: libuv schedules from its cached loop time,
      // so on a busy loop the timer may run when performance.now() says a little less has passed.
      let due = false
      let settled = false
      const settle = (detach: boolean, error?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        attachedBatches.delete(check)
        recheckAttached()
        if (error !== undefined) reject(error)
        else resolve(detach)
      }
      const check = () => {
        if (due && attachedBatches.size === 1 && assigned.length - detachedBatches.size > 1) settle(true)
      }
      const timer = setTimeout(() => {
        due = true
        check()
      }, detachAfterMs)
      attachedBatches.add(check)
      work.then(
        () => settle(false),
        (error: unknown) => settle(false, error ?? new Error('batch failed')),
      )
    })
  }

  /** A batch returned or resumed: the one still holding up the fetcher may now go on detached. */
  function recheckAttached(): void {
    if (attachedBatches.size === 1) for (const check of attachedBatches) check()
  }

  async function runSlices(
    payload: EachBatchPayload,
    handlers: GroupConsumerRun,
    context: BatchContext,
    lastResolved: () => string | undefined,
  ): Promise<void> {
    const { batch } = payload
    const messages = batch.messages
    const { topic, partition } = batch
    for (let start = 0; start < messages.length; start += maxBatchRecords) {
      const end = Math.min(start + maxBatchRecords, messages.length)
      const records: LogRecord[] = new Array(end - start)
      for (let i = start; i < end; i++) {
        const message = messages[i]!
        records[i - start] = {
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
        }
      }
      await handlers.eachBatch({ topic, partition, records }, context)
      await payload.commitOffsetsIfNecessary()
      // The next slice only once this one is fully resolved: kafkajs fetches again after the last
      // resolved offset, and that refetch must not race with a later slice.
      if (lastResolved() !== records.at(-1)!.offset || !context.isActive()) break
    }
  }

  /**
   * Knative's controller commits end offsets for an `initialOffset: latest` source that has none, so
   * nothing appended after the source started is lost while it scales or rebalances. Only for a group
   * with no member yet (the admin API refuses a running group, which then has its own positions).
   */
  async function commitEndOffsetsIfNone(): Promise<void> {
    const admin = await connectedAdmin()
    const committed = await admin.fetchOffsets({ groupId, topics })
    for (const { topic, partitions } of committed) {
      const missing = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition))
      if (missing.size === 0) continue
      const ends = await admin.fetchTopicOffsets(topic)
      try {
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends
            .filter((end) => missing.has(end.partition))
            .map((end) => ({ partition: end.partition, offset: end.high })),
        })
      } catch (error) {
        log.debug({ err: error, topic }, 'group already running: its members keep their own positions')
      }
    }
  }

  async function run(handlers: GroupConsumerRun): Promise<void> {
    if (started) throw new EventLogError('already-running', `consumer of group ${groupId} was already run`)
    assertConcurrency(handlers.partitionsConsumedConcurrently)
    started = true
    if (initialOffset === 'latest') await commitEndOffsetsIfNone()
    await consumer.connect()
    // kafkajs applies fromBeginning only to partitions without a committed offset: KafkaSource's rule.
    await consumer.subscribe({ topics, fromBeginning: initialOffset === 'earliest' })
    const joined = new Promise<void>((resolve, reject) => {
      const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
        offJoin()
        offCrash()
        resolve()
      })
      const offCrash = consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) return
        offJoin()
        offCrash()
        reject(payload.error)
      })
    })
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: commitIntervalMs,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: handlers.partitionsConsumedConcurrently,
      eachBatch: (payload) => eachBatch(payload, handlers),
    })
    await joined
  }

  function stop(): Promise<void> {
    stopped ??= (async () => {
      stopping = true
      abortAll('consumer stopping')
      // Detached batches commit what they resolved as they end; kafkajs waits for the others, commits
      // what they resolved and leaves the group.
      await Promise.all(detachedBatches.keys())
      await consumer.disconnect()
      assigned = []
    })()
    return stopped
  }

  return { run, stop, assignment: () => assigned }
}
