import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { afterEach, expect, it } from 'vitest'
import {
  type KafkaSourceDispatcher,
  type KafkaSourceSpec,
  startKafkaSource,
} from '../../../local/src/eventing/kafka-source.ts'
import type { AppendRecord } from '../../../local/src/eventlog/types.ts'
import type { EventLogBackend } from '../../support/event-logs.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { taskCreatedRecord } from '../../support/task-event-records.ts'
import { eventually } from '../local/eventlog/consume.ts'

// One level above tests/integration/local/eventlog (members of a group share partitions): several
// local KafkaSource dispatchers run as members of ONE consumer group, as KEDA's replicas of a
// KafkaSource do, and deliver to a real HTTP sink. Every event must reach the sink at least once
// while members come and go, no partition is served by two members, and `ordered` keeps one request
// in flight per partition across the hand-over.

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

function taskEvents(count: number): AppendRecord[] {
  return Array.from({ length: count }, (_, i) => taskCreatedRecord({ title: `task ${i}` }))
}

export function dispatcherGroupBehaviour(backend: () => EventLogBackend): void {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  async function setup(partitions: number, ordering: 'ordered' | 'unordered' = 'ordered') {
    const { log, ensureTopic } = await backend().open()
    cleanup.push(() => log.close())
    const topic = unique('scale')
    await ensureTopic(topic, partitions)
    const sink: RecordingSink = await startRecordingSink({ path: '/fn' })
    cleanup.push(() => sink.close())
    const spec: KafkaSourceSpec = {
      name: 'scaling-source',
      namespace: 'taskflow',
      topics: [topic],
      consumerGroup: unique('group'),
      initialOffset: 'earliest',
      ordering,
      delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 5, timeoutMs: 5_000 },
      sink: new URL(sink.url),
      deadLetterSink: null,
    }
    const producer = await log.producer()
    cleanup.push(() => producer.close())
    const members: KafkaSourceDispatcher[] = []
    const stopped = new Set<KafkaSourceDispatcher>()
    cleanup.push(async () => {
      for (const member of members) if (!stopped.has(member)) await member.stop()
    })
    const addMember = async () => {
      const member = await startKafkaSource({ spec, log, logger, commitIntervalMs: 200 })
      members.push(member)
      return member
    }
    const removeMember = async (member: KafkaSourceDispatcher) => {
      stopped.add(member)
      await member.stop()
    }
    const running = () => members.filter((m) => !stopped.has(m))
    // Ownership as the members report it, sampled while the test runs.
    const owners = () =>
      running().map((m) =>
        m
          .consumer()
          .assignment()
          .map((tp) => `${tp.topic}/${tp.partition}`),
      )
    const produced: string[] = []
    const produce = async (count: number) => {
      const records = taskEvents(count)
      await producer.send(topic, records)
      for (const record of records) produced.push(String(record.headers.ce_id))
    }
    const deliveredIds = () => new Set(sink.delivered.map((r) => String(r.headers['ce-id'])))
    const allDelivered = () => {
      const ids = deliveredIds()
      return produced.every((id) => ids.has(id))
    }
    return { topic, sink, addMember, removeMember, owners, produce, produced, allDelivered, deliveredIds }
  }

  /** Samples ownership every 20 ms until stopped; records the worst moment seen. */
  function watchOwnership(owners: () => string[][]) {
    let maxOwningMembers = 0
    let sharedPartitionSeen: string | null = null
    const timer = setInterval(() => {
      const current = owners()
      maxOwningMembers = Math.max(maxOwningMembers, current.filter((parts) => parts.length > 0).length)
      const seen = new Set<string>()
      for (const part of current.flat()) {
        if (seen.has(part)) sharedPartitionSeen = part
        seen.add(part)
      }
    }, 20)
    return {
      stop: () => clearInterval(timer),
      get maxOwningMembers() {
        return maxOwningMembers
      },
      get sharedPartitionSeen() {
        return sharedPartitionSeen
      },
    }
  }

  it('N dispatchers on N partitions: each partition has one owner and every event reaches the sink', async () => {
    const group = await setup(3)
    await group.produce(60)
    for (let i = 0; i < 3; i++) await group.addMember()
    await eventually(() => {
      const owned = group.owners()
      return owned.every((parts) => parts.length === 1) && new Set(owned.flat()).size === 3
    }, 'one partition per member')
    await eventually(group.allDelivered, 'every event delivered')
    expect(group.deliveredIds().size).toBe(60)
  })

  it('a member past the partition count stays idle: consumers never exceed partitions', async () => {
    const group = await setup(2)
    const watch = watchOwnership(group.owners)
    try {
      for (let i = 0; i < 3; i++) await group.addMember()
      await group.produce(40)
      await eventually(group.allDelivered, 'every event delivered')
      await eventually(
        () => group.owners().filter((parts) => parts.length === 0).length === 1,
        'one idle member',
      )
    } finally {
      watch.stop()
    }
    expect(watch.maxOwningMembers).toBeLessThanOrEqual(2)
    expect(watch.sharedPartitionSeen).toBeNull()
  })

  it('adding and removing members mid-stream rebalances without losing an event (ordered, one in flight per partition)', async () => {
    const group = await setup(4, 'ordered')
    // A slow sink keeps requests in flight while partitions move between members.
    group.sink.reply = () => ({ status: 202, delayMs: 3 })
    const watch = watchOwnership(group.owners)
    try {
      const first = await group.addMember()
      await group.produce(100)
      await group.addMember()
      await group.produce(100)
      await group.addMember()
      await group.produce(100)
      await group.removeMember(first)
      await group.produce(100)
      await eventually(group.allDelivered, 'every event delivered after the membership changes', 60_000)
    } finally {
      watch.stop()
    }
    // At least once: redeliveries after a hand-over are allowed, losses are not.
    expect(group.deliveredIds().size).toBe(400)
    expect(group.sink.maxInFlightPerPartition).toBe(1)
    expect(watch.sharedPartitionSeen).toBeNull()
  })

  it('unordered members each keep their in-flight bound while the group rebalances', async () => {
    const group = await setup(4, 'unordered')
    group.sink.reply = () => ({ status: 202, delayMs: 20 })
    const first = await group.addMember()
    await group.produce(300)
    await group.addMember()
    await group.produce(300)
    await group.removeMember(first)
    await eventually(group.allDelivered, 'every event delivered', 60_000)
    expect(group.deliveredIds().size).toBe(600)
    // Knative's bound is per consumer (50): two members may have 2 x 50 in flight, never more.
    expect(group.sink.maxInFlight).toBeLessThanOrEqual(100)
  })
}
