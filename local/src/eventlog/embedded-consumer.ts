import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { notifyGroupChange, onAppend, onGroupChange } from './append-notifier.ts'
import { defaultCommitIntervalMs, defaultMaxBatchRecords } from './defaults.ts'
import {
  type AnyDatabase,
  commitEndOffsetsIfNone,
  commitOffsets,
  committedOffset,
  fetchRecords,
  leaveGroup,
  partitionKey,
  rebalanceMember,
  releasePartition,
  topicPartitionCounts,
} from './embedded-store.ts'
import { assertConcurrency, assertConsumerOptions, EventLogError, unknownTopic } from './errors.ts'
import type {
  BatchContext,
  GroupConsumer,
  GroupConsumerOptions,
  GroupConsumerRun,
  LogRecord,
  TopicPartition,
} from './types.ts'

export interface EmbeddedGroupTimings {
  /** A member that does not renew its lease for this long loses its partitions (Kafka's session timeout). */
  readonly sessionTimeoutMs: number
  /** How often a member renews its lease and rebalances. */
  readonly heartbeatIntervalMs: number
  /** How often owned partitions are polled for records appended by other processes. */
  readonly pollIntervalMs: number
}

interface OwnedPartition extends TopicPartition {
  readonly key: string
  /** Next offset to fetch. */
  position: number
  /** Resolved position: the offset the next commit will store. */
  resolved: number
  committed: number
  running: Promise<void> | undefined
  controller: AbortController | undefined
  /** Being handed back: no new batch starts. */
  revoking: boolean
  /** Not fetched again before this time (after a batch that resolved nothing or failed). */
  idleUntil: number
}

/**
 * A consumer-group member of the embedded log. Three loops: membership (lease and rebalance every
 * heartbeat), fetch (owned partitions without a running batch, one SQL statement for all of them) and
 * commit (every commitIntervalMs). One batch per partition at a time; at most
 * `partitionsConsumedConcurrently` batches at once.
 */
export function createEmbeddedConsumer(
  db: AnyDatabase,
  options: GroupConsumerOptions,
  timings: EmbeddedGroupTimings,
  logger: Logger,
): GroupConsumer {
  assertConsumerOptions(options)
  const { groupId, initialOffset } = options
  const topics = [...new Set(options.topics)]
  const commitIntervalMs = options.commitIntervalMs ?? defaultCommitIntervalMs
  const maxBatchRecords = options.maxBatchRecords ?? defaultMaxBatchRecords
  const memberId = `${groupId}-${randomUUID()}`
  const log = logger.child({ component: 'eventlog', groupId, memberId })

  const owned = new Map<string, OwnedPartition>()
  let handlers: GroupConsumerRun | undefined
  let started = false
  let stopping = false
  let stopped: Promise<void> | undefined
  let lastLeaseRenewal = 0
  let runningBatches = 0

  // Wake-up of the fetch loop: a flag plus the resolver of its current sleep, so a wake that arrives
  // while a fetch is in progress is not lost.
  let wakePending = false
  let wakeSleeper: (() => void) | undefined
  const wakeFetch = (): void => {
    wakePending = true
    wakeSleeper?.()
  }
  const sleepUntilWoken = (ms: number): Promise<void> => {
    if (wakePending) {
      wakePending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wakeSleeper = undefined
        wakePending = false
        resolve()
      }
      wakeSleeper = done
    })
  }

  let membershipTimer: NodeJS.Timeout | undefined
  let commitTimer: NodeJS.Timeout | undefined
  let fetchLoop: Promise<void> | undefined
  let unsubscribeAppend: (() => void) | undefined
  let unsubscribeGroup: (() => void) | undefined
  // Membership steps run one at a time; a request during a step runs once more after it.
  let membershipStep: Promise<void> = Promise.resolve()
  let membershipQueued = false

  function requestMembershipStep(): Promise<void> {
    if (membershipQueued) return membershipStep
    membershipQueued = true
    membershipStep = membershipStep.then(async () => {
      membershipQueued = false
      if (stopping) return
      try {
        await membershipStepNow()
      } catch (error) {
        log.warn({ err: error }, 'event log group membership step failed; retrying at the next heartbeat')
        // Kafka's rule: a member that could not heartbeat for a whole session has lost its partitions
        // (the others may already deliver them), so it stops delivering them itself.
        if (Date.now() - lastLeaseRenewal > timings.sessionTimeoutMs) {
          for (const partition of owned.values()) dropPartition(partition)
        }
      }
    })
    return membershipStep
  }

  const onGroupChanged = (): void => {
    void requestMembershipStep()
  }

  async function membershipStepNow(): Promise<void> {
    const before = Date.now()
    const result = await rebalanceMember(db, groupId, memberId, topics, timings.sessionTimeoutMs)
    lastLeaseRenewal = before
    if (stopping) return
    const dbOwned = new Set(result.owned.map((p) => partitionKey(p.topic, p.partition)))
    // Lost without a release (our lease expired and another member took over): stop at once; commits
    // for it would be refused anyway.
    for (const partition of owned.values()) {
      if (!dbOwned.has(partition.key)) dropPartition(partition)
    }
    for (const partition of result.owned) {
      const key = partitionKey(partition.topic, partition.partition)
      if (!owned.has(key)) await adoptPartition(partition, key)
    }
    for (const partition of result.release) {
      const state = owned.get(partitionKey(partition.topic, partition.partition))
      if (state && !state.revoking) void revokePartition(state)
    }
    if (result.joined) notifyGroupChange(groupId, onGroupChanged)
    wakeFetch()
  }

  async function adoptPartition(partition: TopicPartition, key: string): Promise<void> {
    const { committed, end } = await committedOffset(db, groupId, partition)
    // No committed offset: KafkaSource's initialOffset (earliest = offset 0, retention is not modelled).
    const start = committed ?? (initialOffset === 'earliest' ? 0 : end)
    owned.set(key, {
      topic: partition.topic,
      partition: partition.partition,
      key,
      position: start,
      resolved: start,
      committed: committed ?? -1,
      running: undefined,
      controller: undefined,
      revoking: false,
      idleUntil: 0,
    })
    log.debug({ topic: partition.topic, partition: partition.partition, offset: start }, 'partition assigned')
  }

  function dropPartition(partition: OwnedPartition): void {
    partition.revoking = true
    partition.controller?.abort(new Error('partition lost'))
    owned.delete(partition.key)
    log.warn({ topic: partition.topic, partition: partition.partition }, 'partition lost (lease expired)')
  }

  /** Knative's dispatcher on revocation: let the running batch return, commit synchronously, release. */
  async function revokePartition(partition: OwnedPartition): Promise<void> {
    partition.revoking = true
    partition.controller?.abort(new Error('partition revoked'))
    try {
      await partition.running
      await commitPartitions([partition])
      await releasePartition(db, groupId, memberId, partition)
      owned.delete(partition.key)
      log.debug({ topic: partition.topic, partition: partition.partition }, 'partition released')
      notifyGroupChange(groupId, onGroupChanged)
    } catch (error) {
      // Still owned in the database: deliver it again and retry the release at the next step.
      partition.revoking = false
      log.warn({ err: error, topic: partition.topic, partition: partition.partition }, 'release failed')
      wakeFetch()
    }
  }

  async function commitPartitions(partitions: readonly OwnedPartition[]): Promise<void> {
    const due = partitions.filter((p) => p.resolved !== p.committed)
    if (due.length === 0) return
    const commits = due.map((p) => ({ topic: p.topic, partition: p.partition, nextOffset: p.resolved }))
    const done = await commitOffsets(db, groupId, memberId, commits)
    for (let i = 0; i < due.length; i++) {
      if (done.has(due[i]!.key)) due[i]!.committed = commits[i]!.nextOffset
    }
  }

  async function commitAll(): Promise<void> {
    try {
      await commitPartitions([...owned.values()])
    } catch (error) {
      log.warn({ err: error }, 'offset commit failed; retrying at the next interval')
    }
  }

  function startBatch(partition: OwnedPartition, records: LogRecord[]): void {
    const controller = new AbortController()
    const firstOffset = partition.position
    partition.controller = controller
    runningBatches++
    const context: BatchContext = {
      resolveOffset(offset) {
        const next = Number(offset) + 1
        if (next > partition.resolved) partition.resolved = next
      },
      // The lease is renewed by the membership loop, which runs beside every batch: a long batch never
      // lets it lapse, so there is nothing to send here.
      heartbeat: () => Promise.resolve(),
      isActive: () => !controller.signal.aborted,
      signal: controller.signal,
    }
    partition.running = (async () => {
      try {
        await handlers!.eachBatch(
          { topic: partition.topic, partition: partition.partition, records },
          context,
        )
      } catch (error) {
        log.error(
          { err: error, topic: partition.topic, partition: partition.partition },
          'batch handler failed; unresolved records will be fetched again',
        )
      } finally {
        runningBatches--
        partition.running = undefined
        partition.controller = undefined
        // Like kafkajs with eachBatchAutoResolve off: the next fetch starts after the last resolved
        // record, so what the handler did not resolve comes again.
        partition.position = partition.resolved
        if (partition.resolved === firstOffset) partition.idleUntil = Date.now() + timings.pollIntervalMs
        wakeFetch()
      }
    })()
  }

  let rotation = 0
  async function runFetchLoop(concurrency: number): Promise<void> {
    while (!stopping) {
      const now = Date.now()
      const idle: OwnedPartition[] = []
      for (const partition of owned.values()) {
        if (!partition.running && !partition.revoking && partition.idleUntil <= now) idle.push(partition)
      }
      const free = concurrency - runningBatches
      if (idle.length > 0 && free > 0) {
        // Start from a different partition each round, so with fewer slots than partitions every
        // partition gets its turn.
        rotation = (rotation + 1) % idle.length
        const ordered = [...idle.slice(rotation), ...idle.slice(0, rotation)]
        try {
          const batches = await fetchRecords(db, ordered, maxBatchRecords)
          let slots = concurrency - runningBatches
          for (const partition of ordered) {
            if (slots === 0 || stopping) break
            const records = batches.get(partition.key)
            // The partition may have been revoked or moved on while the fetch ran.
            if (!records || partition.revoking || partition.running || owned.get(partition.key) !== partition)
              continue
            if (records[0]!.offset !== String(partition.position)) continue
            startBatch(partition, records)
            slots--
          }
        } catch (error) {
          log.warn({ err: error }, 'event log fetch failed; retrying')
        }
      }
      await sleepUntilWoken(timings.pollIntervalMs)
    }
  }

  async function run(run: GroupConsumerRun): Promise<void> {
    if (started) throw new EventLogError('already-running', `consumer of group ${groupId} was already run`)
    assertConcurrency(run.partitionsConsumedConcurrently)
    started = true
    handlers = run
    const counts = await topicPartitionCounts(db, topics)
    const missing = topics.find((topic) => !counts.has(topic))
    if (missing !== undefined) throw unknownTopic(missing)
    if (initialOffset === 'latest') await commitEndOffsetsIfNone(db, groupId, topics)

    try {
      await membershipStepNow()
    } catch (error) {
      await stop().catch(() => {})
      throw new EventLogError('join-failed', `consumer of group ${groupId} could not join`, { cause: error })
    }
    unsubscribeAppend = onAppend(topics, wakeFetch)
    unsubscribeGroup = onGroupChange(groupId, onGroupChanged)
    membershipTimer = setInterval(() => void requestMembershipStep(), timings.heartbeatIntervalMs)
    commitTimer = setInterval(() => void commitAll(), commitIntervalMs)
    fetchLoop = runFetchLoop(run.partitionsConsumedConcurrently)
  }

  function stop(): Promise<void> {
    stopped ??= (async () => {
      stopping = true
      clearInterval(membershipTimer)
      clearInterval(commitTimer)
      unsubscribeAppend?.()
      unsubscribeGroup?.()
      for (const partition of owned.values()) partition.controller?.abort(new Error('consumer stopping'))
      wakeFetch()
      await fetchLoop
      await membershipStep
      await Promise.all([...owned.values()].map((partition) => partition.running))
      try {
        await commitPartitions([...owned.values()])
      } finally {
        owned.clear()
        if (started) {
          await leaveGroup(db, groupId, memberId)
          notifyGroupChange(groupId, onGroupChanged)
        }
      }
    })()
    return stopped
  }

  return {
    run,
    stop,
    assignment: () =>
      [...owned.values()]
        .filter((partition) => !partition.revoking)
        .map((partition) => ({ topic: partition.topic, partition: partition.partition })),
  }
}
