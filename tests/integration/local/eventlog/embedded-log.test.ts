import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase, serveEmbeddedPostgres } from '../../../../db/src/index.ts'
import { createEmbeddedEventLog } from '../../../../local/src/eventlog/embedded-log.ts'
import type { AppendRecord } from '../../../../local/src/eventlog/types.ts'
import type { EventLogBackend } from '../../../support/event-logs.ts'
import { describeEachDatabase } from '../../../support/postgres.ts'
import { eventually, startRecordingConsumer, text } from './consume.ts'
import { eventLogBehaviour } from './event-log-behaviour.ts'

// Needs: PGlite (always) and the shared PostgreSQL (skipped locally when unreachable).

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
// Short group timings so rebalances in tests take a fraction of a second (Knative's are 10 s / 3 s).
const timings = { pollIntervalMs: 20, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 100 }

const record = (key: string | null, value: string): AppendRecord => ({
  key,
  value: Buffer.from(value),
  headers: {},
})

await describeEachDatabase('embedded event log', (database) => {
  let handle: DatabaseHandle<unknown>
  beforeAll(async () => {
    handle = await openDatabase({ url: database.url, applicationName: 'eventlog-test', poolMax: 8 })
  })
  afterAll(async () => {
    await handle?.close()
  })

  const backend = (): EventLogBackend => ({
    async open() {
      const log = await createEmbeddedEventLog({ db: handle.db, logger, ...timings })
      return { log, ensureTopic: (name, partitions) => log.ensureTopic(name, partitions) }
    },
  })
  eventLogBehaviour(backend)

  it('refuses unknown topics and shrinking partitions with typed errors', async () => {
    const log = await createEmbeddedEventLog({ db: handle.db, logger, ...timings })
    try {
      const producer = await log.producer()
      await expect(producer.send('no-such-topic', [record(null, 'x')])).rejects.toMatchObject({
        name: 'EventLogError',
        code: 'unknown-topic',
      })
      await log.ensureTopic('shrink', 3)
      await expect(log.ensureTopic('shrink', 2)).rejects.toMatchObject({ code: 'partitions-decrease' })
      await expect(log.ensureTopic('shrink', 0)).rejects.toMatchObject({ code: 'invalid-partitions' })
      await log.ensureTopic('shrink', 4)
      expect(await log.partitionCount('shrink')).toBe(4)
      expect(() =>
        log.consumer({ groupId: ' ', topics: ['shrink'], initialOffset: 'earliest' }),
      ).toThrowError(expect.objectContaining({ code: 'invalid-option' }))
      await expect(
        log.consumer({ groupId: 'g', topics: ['no-such-topic'], initialOffset: 'earliest' }).run({
          partitionsConsumedConcurrently: 1,
          eachBatch: async () => {},
        }),
      ).rejects.toMatchObject({ code: 'unknown-topic' })
    } finally {
      await log.close()
    }
  })

  it('takes over the partitions of a member whose lease expired, from their committed offsets', async () => {
    const log = await createEmbeddedEventLog({ db: handle.db, logger, ...timings })
    try {
      await log.ensureTopic('lease', 2)
      const producer = await log.producer()
      await producer.send(
        'lease',
        Array.from({ length: 10 }, (_, i) => record(`k${i}`, `v${i}`)),
      )
      // A member of another process that owned both partitions, committed offset 1 on each and then
      // crashed: its rows stay behind until its lease runs out.
      await sql`insert into eventlog.consumer_groups values ('lease-group')`.execute(handle.db)
      await sql`insert into eventlog.group_members values
        ('lease-group', 'crashed', '{lease}', now() + interval '1 second')`.execute(handle.db)
      await sql`insert into eventlog.partition_owners values
        ('lease-group', 'lease', 0, 'crashed'), ('lease-group', 'lease', 1, 'crashed')`.execute(handle.db)
      await sql`insert into eventlog.committed_offsets (group_id, topic, partition, next_offset) values
        ('lease-group', 'lease', 0, 1), ('lease-group', 'lease', 1, 1)`.execute(handle.db)

      const survivor = await startRecordingConsumer(log, {
        groupId: 'lease-group',
        topics: ['lease'],
        initialOffset: 'earliest',
      })
      expect(survivor.consumer.assignment()).toEqual([])
      await eventually(() => survivor.consumer.assignment().length === 2, 'the survivor owns both partitions')
      await eventually(() => survivor.received.length === 8, 'records after the committed offsets delivered')
      expect(survivor.received.map((r) => r.offset).filter((o) => o === '0')).toEqual([])
      await survivor.consumer.stop()
      await producer.close()
    } finally {
      await log.close()
    }
  })
})

describe('embedded event log durability [pglite dataDir]', () => {
  it('keeps records and committed offsets across a close and reopen of the database', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'eventlog-durable-'))
    try {
      const openLog = async () => {
        const server = await serveEmbeddedPostgres({ dataDir })
        const database = await openDatabase<unknown>({ url: server.url, applicationName: 'eventlog-durable' })
        const log = await createEmbeddedEventLog({ db: database.db, logger, ...timings })
        return {
          log,
          async close() {
            await log.close()
            await database.close()
            await server.close()
          },
        }
      }
      const first = await openLog()
      await first.log.ensureTopic('durable', 2)
      const producer = await first.log.producer()
      await producer.send(
        'durable',
        Array.from({ length: 8 }, (_, i) => record(`k${i}`, `v${i}`)),
      )
      const consumed = await startRecordingConsumer(first.log, {
        groupId: 'durable-group',
        topics: ['durable'],
        initialOffset: 'earliest',
      })
      await eventually(() => consumed.received.length === 8, 'first run consumed everything')
      await consumed.consumer.stop()
      await first.close()

      const second = await openLog()
      try {
        const lag = await second.log.lag('durable-group', ['durable'])
        expect(lag.reduce((sum, l) => sum + Number(l.end), 0)).toBe(8)
        expect(lag.map((l) => l.lag)).toEqual([0, 0])
        expect(lag.map((l) => l.committed)).toEqual(lag.map((l) => l.end))
        const producer2 = await second.log.producer()
        const [next] = await producer2.send('durable', [record('k0', 'after-restart')])
        const resumed = await startRecordingConsumer(second.log, {
          groupId: 'durable-group',
          topics: ['durable'],
          initialOffset: 'earliest',
        })
        await eventually(() => resumed.received.length === 1, 'the record appended after the restart')
        expect(resumed.received.map(text)).toEqual(['after-restart'])
        expect(resumed.received[0]!.offset).toBe(next!.offset)
        await resumed.consumer.stop()
      } finally {
        await second.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
