import { randomUUID } from 'node:crypto'
import { afterEach, expect, it } from 'vitest'
import { partitionForKey } from '../../../../kafka/src/partitioner.ts'
import type { AppendRecord, GroupConsumer } from '../../../../local/src/eventlog/types.ts'
import type { EventLogBackend, TestEventLog } from '../../../support/event-logs.ts'
import { eventually, type RecordingConsumer, startRecordingConsumer, text } from './consume.ts'

// The behaviour both event-log backends must share, as the KafkaSource dispatcher relies on it. Each
// backend's test file calls this inside its own describe with a way to open the log under test.

const record = (key: string | null, value: string): AppendRecord => ({
  key,
  value: Buffer.from(value),
  headers: { 'ce-id': value },
})

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

export function eventLogBehaviour(backend: () => EventLogBackend): void {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })
  const open = async (): Promise<TestEventLog> => {
    const opened = await backend().open()
    cleanup.push(() => opened.log.close())
    return opened
  }
  const stopLater = (consumer: GroupConsumer) => cleanup.push(() => consumer.stop())
  const assignedCount = (consumers: RecordingConsumer[]) =>
    consumers.map((c) => c.consumer.assignment().length)

  it('delivers appended records in order within each partition, at the offsets send returned', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('order')
    await ensureTopic(topic, 3)
    const producer = await log.producer()
    const sent = []
    for (let batch = 0; batch < 5; batch++) {
      const records = Array.from({ length: 40 }, (_, i) => record(`key-${i % 7}`, `${batch}-${i}`))
      sent.push(
        ...(await producer.send(topic, records)).map((position, i) => ({ position, record: records[i]! })),
      )
    }
    await producer.close()
    const recording = await startRecordingConsumer(log, {
      groupId: uniqueName('g'),
      topics: [topic],
      initialOffset: 'earliest',
    })
    stopLater(recording.consumer)
    await eventually(() => recording.received.length >= sent.length, 'all records consumed')

    for (let partition = 0; partition < 3; partition++) {
      const expected = sent.filter((s) => s.position.partition === partition)
      const got = recording.inPartition(topic, partition)
      expect(got.map((r) => r.offset)).toEqual(expected.map((s) => s.position.offset))
      expect(got.map(text)).toEqual(expected.map((s) => s.record.value.toString()))
      expect(got.map((r) => r.offset)).toEqual(expected.map((_, i) => String(i)))
    }
    const first = recording.received[0]!
    expect(first.key?.toString()).toMatch(/^key-\d$/)
    const header = first.headers['ce-id']
    expect(Buffer.isBuffer(header) ? header.toString() : header).toBe(text(first))
  })

  it('gives concurrent appends to one partition gap-free offsets, each send in its own order', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('concurrent')
    await ensureTopic(topic, 2)
    const producers = await Promise.all([log.producer(), log.producer(), log.producer()])
    const sends = await Promise.all(
      Array.from({ length: 12 }, (_, send) =>
        producers[send % 3]!.send(
          topic,
          Array.from({ length: 25 }, (_, i) => record('one-key', `${send}-${i}`)),
        ),
      ),
    )
    await Promise.all(producers.map((producer) => producer.close()))
    const offsets = sends.flat().map((position) => Number(position.offset))
    expect(new Set(sends.flat().map((position) => position.partition)).size).toBe(1)
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    for (const positions of sends) {
      const own = positions.map((position) => Number(position.offset))
      expect(own).toEqual([...own].sort((a, b) => a - b))
    }

    const batchSizes: number[] = []
    const recording = await startRecordingConsumer(
      log,
      { groupId: uniqueName('g'), topics: [topic], initialOffset: 'earliest', maxBatchRecords: 40 },
      async (batch, context) => {
        batchSizes.push(batch.records.length)
        for (const r of batch.records) context.resolveOffset(r.offset)
      },
    )
    stopLater(recording.consumer)
    await eventually(() => recording.received.length >= 300, 'all concurrent appends consumed')
    expect(recording.received.map((r) => Number(r.offset))).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(40)
    expect(batchSizes.length).toBeGreaterThanOrEqual(8)
  })

  it('keeps delivering other partitions while a batch of one partition is held, and catches up after it', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('held')
    await ensureTopic(topic, 2)
    const producer = await log.producer()
    // Two keys that Kafka's partitioner puts on different partitions of two.
    const heldKey = 'slow'
    const otherKey = ['a', 'b', 'c', 'd'].find(
      (key) => partitionForKey(key, 2) !== partitionForKey(heldKey, 2),
    )!
    const [held] = await producer.send(topic, [record(heldKey, 'held-0')])
    const heldPartition = held!.partition
    const otherPartition = 1 - heldPartition

    // A sink in retries, as the KafkaSource meets one: the partition's first batch does not return.
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let heldBatches = 0
    const groupId = uniqueName('g')
    const recording = await startRecordingConsumer(
      log,
      { groupId, topics: [topic], initialOffset: 'earliest' },
      async (batch, context) => {
        if (batch.partition === heldPartition && heldBatches++ === 0) await released
        for (const r of batch.records) context.resolveOffset(r.offset)
      },
    )
    stopLater(recording.consumer)
    cleanup.push(async () => release())
    // Sent one send at a time: each is a fetch of its own, so the other partition must be fetched
    // again and again while the held batch has not returned.
    for (let i = 0; i < 30; i++) await producer.send(topic, [record(otherKey, `other-${i}`)])
    await producer.send(topic, [record(heldKey, 'held-1')])
    await eventually(
      () => recording.inPartition(topic, otherPartition).length === 30,
      'the other partition delivered all 30 records while the held batch had not returned',
    )
    expect(recording.inPartition(topic, heldPartition).map(text)).toEqual(['held-0'])

    release()
    await eventually(
      () => recording.inPartition(topic, heldPartition).length === 2,
      'the held partition went on with the record after its batch',
    )
    expect(recording.inPartition(topic, heldPartition).map(text)).toEqual(['held-0', 'held-1'])
    expect(recording.inPartition(topic, otherPartition).map(text)).toEqual(
      Array.from({ length: 30 }, (_, i) => `other-${i}`),
    )
    await producer.close()
    await recording.consumer.stop()
    const lag = await log.lag(groupId, [topic])
    expect(lag.map((l) => l.lag)).toEqual([0, 0])
  })

  it("puts a keyed record on the partition Kafka's default partitioner picks", async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('keys')
    await ensureTopic(topic, 6)
    const producer = await log.producer()
    const keys = Array.from({ length: 50 }, (_, i) => `task-${i}-${randomUUID()}`)
    const positions = await producer.send(
      topic,
      keys.map((key) => record(key, key)),
    )
    await producer.close()
    expect(positions.map((p) => p.partition)).toEqual(keys.map((key) => partitionForKey(key, 6)))
    expect(await log.partitionCount(topic)).toBe(6)
  })

  it('resumes after a restart from the committed offset, redelivering only unresolved records', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('resume')
    const groupId = uniqueName('g')
    await ensureTopic(topic, 1)
    const producer = await log.producer()
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => record('same-key', `r${i}`)),
    )
    // The first consumer finishes records 0-4 and is stopped while "delivering" record 5.
    const first = await startRecordingConsumer(
      log,
      { groupId, topics: [topic], initialOffset: 'earliest' },
      async (batch, context) => {
        for (const r of batch.records) {
          if (Number(r.offset) >= 5) {
            await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }))
            expect(context.isActive()).toBe(false)
            return
          }
          context.resolveOffset(r.offset)
        }
      },
    )
    await eventually(
      () => first.received.some((r) => r.offset === '5'),
      'record 5 reached the first consumer',
    )
    await first.consumer.stop()

    const second = await startRecordingConsumer(log, { groupId, topics: [topic], initialOffset: 'earliest' })
    stopLater(second.consumer)
    await eventually(() => second.received.length >= 5, 'records 5-9 consumed again')
    expect(second.received.map((r) => r.offset)).toEqual(['5', '6', '7', '8', '9'])
    await second.consumer.stop()
    const lag = await log.lag(groupId, [topic])
    expect(lag).toEqual([{ topic, partition: 0, committed: '10', end: '10', lag: 0 }])
    await producer.close()
  })

  it('starts a new group at the first record with earliest and after the existing ones with latest', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('initial')
    await ensureTopic(topic, 2)
    const producer = await log.producer()
    await producer.send(
      topic,
      Array.from({ length: 6 }, (_, i) => record(null, `old-${i}`)),
    )
    const earliest = await startRecordingConsumer(log, {
      groupId: uniqueName('earliest'),
      topics: [topic],
      initialOffset: 'earliest',
    })
    stopLater(earliest.consumer)
    const latestGroup = uniqueName('latest')
    const latest = await startRecordingConsumer(log, {
      groupId: latestGroup,
      topics: [topic],
      initialOffset: 'latest',
    })
    stopLater(latest.consumer)
    // Knative commits the end offsets for a `latest` source when it starts.
    const lag = await log.lag(latestGroup, [topic])
    expect(lag.map((l) => l.committed)).toEqual(lag.map((l) => l.end))
    await producer.send(
      topic,
      Array.from({ length: 4 }, (_, i) => record(null, `new-${i}`)),
    )
    await eventually(() => earliest.received.length >= 10, 'earliest group got old and new records')
    await eventually(() => latest.received.length >= 4, 'latest group got the new records')
    expect(earliest.received.map(text).sort()).toEqual(
      [...['old-0', 'old-1', 'old-2', 'old-3', 'old-4', 'old-5'], 'new-0', 'new-1', 'new-2', 'new-3'].sort(),
    )
    expect(latest.received.map(text).sort()).toEqual(['new-0', 'new-1', 'new-2', 'new-3'])
    await producer.close()
  })

  it('splits partitions between members, leaves a surplus member idle and rebalances on stop without loss', async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('group')
    const groupId = uniqueName('g')
    await ensureTopic(topic, 2)
    const options = { groupId, topics: [topic], initialOffset: 'earliest' } as const
    const a = await startRecordingConsumer(log, options)
    stopLater(a.consumer)
    await eventually(() => a.consumer.assignment().length === 2, 'the only member owns both partitions')
    const b = await startRecordingConsumer(log, options)
    stopLater(b.consumer)
    await eventually(() => assignedCount([a, b]).join() === '1,1', 'two members own one partition each')
    const c = await startRecordingConsumer(log, options)
    stopLater(c.consumer)
    await eventually(
      () => assignedCount([a, b, c]).sort().join() === '0,1,1',
      'a third member on a 2-partition topic owns nothing',
    )
    const owners = [a, b, c].filter((member) => member.consumer.assignment().length === 1)
    const owned = owners.flatMap((member) => member.consumer.assignment().map((p) => p.partition))
    expect(owned.sort()).toEqual([0, 1])

    const producer = await log.producer()
    const before = await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => record(`k${i}`, `before-${i}`)),
    )
    const all = () => [a, b, c].flatMap((member) => member.received)
    await eventually(() => all().length >= before.length, 'records delivered by the two owners')
    const idle = [a, b, c].find((member) => !owners.includes(member))!
    expect(idle.received).toEqual([])

    // Stop one owner: its partition moves to a remaining member and nothing is lost.
    const [leaving, staying] = owners as [RecordingConsumer, RecordingConsumer]
    await leaving.consumer.stop()
    const remaining = [a, b, c].filter((member) => member !== leaving)
    await eventually(
      () => remaining.flatMap((m) => m.consumer.assignment()).length === 2,
      'the remaining members own both partitions again',
    )
    expect(staying.consumer.assignment().length).toBe(1)
    const after = await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => record(`k${i}`, `after-${i}`)),
    )
    await eventually(
      () => new Set(all().map(text)).size >= before.length + after.length,
      'records after the rebalance delivered',
    )
    expect(new Set(all().map(text))).toEqual(
      new Set([...before.map((_, i) => `before-${i}`), ...after.map((_, i) => `after-${i}`)]),
    )
    await producer.close()
  })

  it("commits a revoked partition's resolved offsets before its new owner starts it", async () => {
    const { log, ensureTopic } = await open()
    const topic = uniqueName('revoke')
    const groupId = uniqueName('g')
    await ensureTopic(topic, 2)
    const keys = [0, 1].map(
      (partition) =>
        Array.from({ length: 50 }, (_, i) => `key-${i}`).find(
          (key) => partitionForKey(key, 2) === partition,
        )!,
    )
    const producer = await log.producer()
    for (const key of keys) {
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, i) => record(key, `${key}-${i}`)),
      )
    }
    const events: string[] = []
    const options = { groupId, topics: [topic], initialOffset: 'earliest' } as const
    // The first member finishes records 0-2 of each partition, then holds record 3 as a sink that
    // keeps retrying would, heartbeating, until it is told to give the partition up.
    const first = await startRecordingConsumer(log, options, async (batch, context) => {
      for (const r of batch.records) {
        if (Number(r.offset) < 3) {
          context.resolveOffset(r.offset)
          continue
        }
        while (context.isActive()) {
          await context.heartbeat()
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        expect(context.signal.aborted).toBe(true)
        events.push(`first-revoked-${batch.partition}`)
        return
      }
    })
    stopLater(first.consumer)
    await eventually(
      () => first.inPartition(topic, 0).length > 0 && first.inPartition(topic, 1).length > 0,
      'the first member is holding both partitions',
    )
    const second = await startRecordingConsumer(log, options, async (batch, context) => {
      for (const r of batch.records) {
        events.push(`second-${batch.partition}-${r.offset}`)
        context.resolveOffset(r.offset)
      }
    })
    stopLater(second.consumer)
    await eventually(
      () => second.received.length >= 7,
      'the second member delivered the rest of the partition it took over',
    )
    const taken = [...new Set(second.received.map((r) => r.partition))]
    expect(taken.length).toBe(1)
    const partition = taken[0]!
    expect(second.inPartition(topic, partition).map((r) => r.offset)).toEqual([
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ])
    expect(events.indexOf(`first-revoked-${partition}`)).toBeGreaterThanOrEqual(0)
    expect(events.indexOf(`first-revoked-${partition}`)).toBeLessThan(events.indexOf(`second-${partition}-3`))
    await producer.close()
  })
}
