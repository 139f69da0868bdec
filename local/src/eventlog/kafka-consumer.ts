import type { Logger } from 'pino'
import type { Admin, Consumer, EachBatchPayload } from '../../../kafka/src/index.ts'
import { defaultCommitIntervalMs, defaultMaxBatchRecords } from './defaults.ts'
import { assertConcurrency, assertConsumerOptions, EventLogError } from './errors.ts'
import type {
  BatchContext,
  GroupConsumer,
  GroupConsumerOptions,
  GroupConsumerRun,
  LogRecord,
  TopicPartition,
} from './types.ts'

/**
 * A group member on Kafka. kafkajs' consumer does the protocol; this adapts it to the log's contract:
 * - offsets are resolved by the handler (eachBatchAutoResolve off). kafkajs' runner commits the
 *   resolved offsets when each batch returns (so also before it rejoins on a rebalance and before it
 *   leaves the group on stop) and, within long batches, every `commitIntervalMs` (on heartbeat());
 * - `isolation.level=read_committed` (kafkajs' default, readUncommitted=false), as Knative configures;
 * - assignor: kafkajs ships only its RoundRobin assignor (no sticky one): floor/ceil per member, but
 *   partitions may move on every rebalance;
 * - kafkajs hands over whole fetch responses; batches are cut to `maxBatchRecords`.
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
  const log = logger.child({ component: 'eventlog', groupId })

  let assigned: TopicPartition[] = []
  let started = false
  let stopping = false
  let stopped: Promise<void> | undefined
  const activeBatches = new Set<AbortController>()
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
    abortAll('group rebalancing')
  })

  async function eachBatch(payload: EachBatchPayload, handlers: GroupConsumerRun): Promise<void> {
    const { batch } = payload
    const controller = new AbortController()
    activeBatches.add(controller)
    if (stopping) controller.abort(new Error('consumer stopping'))
    let lastResolved: string | undefined
    const context: BatchContext = {
      resolveOffset(offset) {
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
    try {
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
        if (lastResolved !== records.at(-1)!.offset || !context.isActive()) break
      }
    } finally {
      activeBatches.delete(controller)
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
      // kafkajs waits for running batches, commits what they resolved and leaves the group.
      await consumer.disconnect()
      assigned = []
    })()
    return stopped
  }

  return { run, stop, assignment: () => assigned }
}
