import { sql } from 'kysely'
import { expect, it, vi } from 'vitest'
import { readOutboxBacklog } from '../../../api/src/outbox/outbox-backlog.ts'
import { createOutboxRelay } from '../../../api/src/outbox/outbox-relay.ts'
import { pruneExpiredRows } from '../../../api/src/outbox/outbox-retention.ts'
import { call, eventually, recordingPublisher, silentLogger, useHarness } from '../../support/api-harness.ts'
import { describeEachDatabase } from '../../support/postgres.ts'

// Starting PGlite (WASM) takes seconds on a loaded 2-core machine: more than the 10 s hook default.
vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

type Published = { key: string | null; headers: Record<string, string> }

/** Per task (record key), the versions its events carried, in publication order. */
function versionsByTask(records: readonly Published[], values: readonly Buffer[]): Map<string, number[]> {
  const byTask = new Map<string, number[]>()
  records.forEach((record, i) => {
    const version = (JSON.parse(values[i]!.toString('utf8')) as { task: { version: number } }).task.version
    const list = byTask.get(record.key!) ?? []
    list.push(version)
    byTask.set(record.key!, list)
  })
  return byTask
}

await describeEachDatabase('outbox relay', (backend) => {
  const publisher = recordingPublisher()
  const api = useHarness(backend, { publisher })

  async function createAndChange(user: string, tasks: number, changes: number): Promise<string[]> {
    const ids: string[] = []
    for (let t = 0; t < tasks; t++) {
      const created = await api.call('POST', '/tasks', { user, body: { title: `task ${t}` } })
      expect(created.status).toBe(201)
      ids.push(created.body.id)
    }
    await Promise.all(
      ids.map(async (id) => {
        for (let version = 1; version <= changes; version++) {
          const changed = await api.call('PATCH', `/tasks/${id}`, {
            user,
            body: { title: `v${version + 1}` },
            headers: { 'if-match': `"${version}"` },
          })
          expect(changed.status).toBe(200)
        }
      }),
    )
    return ids
  }

  it('with the broker down, writes still succeed, the backlog grows and drains in order once it is back', async () => {
    publisher.down = true
    const ids = await createAndChange('offline', 4, 3)
    const backlog = await readOutboxBacklog(api.database.db)
    expect(backlog.count).toBeGreaterThanOrEqual(16)
    const ready = await eventually(
      () => call(api.url, 'GET', '/readyz'),
      (response) => response.body?.kafka === 'down',
    )
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({ status: 'degraded', database: 'up' })

    publisher.down = false
    await eventually(
      () => readOutboxBacklog(api.database.db),
      (now) => now.count === 0,
    )
    const mine = publisher.records.filter((record) => ids.includes(record.key!))
    expect(new Set(mine.map((record) => record.headers.ce_id)).size).toBe(mine.length)
    const versions = versionsByTask(
      mine,
      mine.map((record) => record.value),
    )
    for (const id of ids) expect(versions.get(id)).toEqual([1, 2, 3, 4])
    const metrics = await call(api.url, 'GET', '/metrics')
    expect(metrics.text).toMatch(/outbox_publish_errors_total [1-9]/)
    expect(metrics.text).toMatch(/outbox_backlog_events 0/)
  })

  it('two relays on one database publish each row once and keep per-task order, also across a handover', async () => {
    // The harness relay stands aside; two relays with half the lanes each share the work.
    await api.relay!.stop()
    const shared = recordingPublisher()
    const relays = ['a', 'b'].map((name) =>
      createOutboxRelay({
        db: api.database.db,
        publisher: shared,
        logger: silentLogger,
        relayId: `relay-${name}`,
        maxLanes: 8,
        pollIntervalMs: 20,
        leaseMs: 2_000,
      }),
    )
    for (const relay of relays) relay.start()
    try {
      const firstIds = await createAndChange('two-relays', 6, 3)
      await eventually(
        () => relays.map((relay) => relay.status().ownedLanes.length),
        (owned) => owned[0] === 8 && owned[1] === 8,
      )
      // Relay a leaves; b may now take its lanes (its own limit is raised by a fresh relay c).
      await relays[0]!.stop()
      const relayC = createOutboxRelay({
        db: api.database.db,
        publisher: shared,
        logger: silentLogger,
        relayId: 'relay-c',
        maxLanes: 8,
        pollIntervalMs: 20,
      })
      relayC.start()
      relays.push(relayC)
      const secondIds = await createAndChange('two-relays', 6, 3)
      await eventually(
        () => readOutboxBacklog(api.database.db),
        (now) => now.count === 0,
      )
      const ids = [...firstIds, ...secondIds]
      const mine = shared.records.filter((record) => ids.includes(record.key!))
      expect(mine).toHaveLength(ids.length * 4)
      expect(new Set(mine.map((record) => record.headers.ce_id)).size).toBe(mine.length)
      const versions = versionsByTask(
        mine,
        mine.map((record) => record.value),
      )
      for (const id of ids) expect(versions.get(id)).toEqual([1, 2, 3, 4])
    } finally {
      for (const relay of relays) await relay.stop()
    }
  })
})

await describeEachDatabase('outbox retention', (backend) => {
  const api = useHarness(backend)

  it('deletes published rows and idempotency keys past their retention, keeps the rest', async () => {
    const db = api.database.db
    for (const key of ['old', 'new']) {
      await api.call('POST', '/tasks', {
        user: 'keeper',
        body: { title: key },
        headers: { 'idempotency-key': key },
      })
    }
    // Age one published row and one key by a week; leave one row unpublished.
    const rows = await db.selectFrom('tasks.outbox').select('id').orderBy('id').execute()
    await db
      .updateTable('tasks.outbox')
      .set({ published_at: sql<Date>`now() - interval '7 days'` })
      .where('id', '=', rows[0]!.id)
      .execute()
    await db
      .updateTable('tasks.idempotency_keys')
      .set({ created_at: sql<Date>`now() - interval '7 days'` })
      .where('key', '=', 'old')
      .execute()

    expect(await pruneExpiredRows(db)).toEqual({ outbox: 1, idempotencyKeys: 1 })
    const left = await db.selectFrom('tasks.outbox').select('id').execute()
    expect(left.map((row) => row.id)).toEqual([rows[1]!.id])
    const keys = await db.selectFrom('tasks.idempotency_keys').select('key').execute()
    expect(keys.map((row) => row.key)).toEqual(['new'])
  })
})

await describeEachDatabase('outbox housekeeping by the relay', (backend) => {
  const api = useHarness(backend)

  it('deletes expired rows batch after batch on idle rounds until none is left, not one batch a minute', async () => {
    const db = api.database.db
    for (let i = 0; i < 7; i++) {
      expect((await api.call('POST', '/tasks', { user: 'old', body: { title: `old ${i}` } })).status).toBe(
        201,
      )
    }
    await db.updateTable('tasks.outbox').set({ published_at: sql<Date>`now() - interval '7 days'` }).execute()
    const relay = createOutboxRelay({
      db,
      logger: silentLogger,
      pollIntervalMs: 20,
      publisher: recordingPublisher(),
      retention: { publishedOutboxMs: 24 * 3600_000, idempotencyKeyMs: 24 * 3600_000, batch: 2 },
    })
    relay.start()
    try {
      // Batches of 2: four idle rounds for 7 rows, well inside the minute between due prunes.
      await eventually(
        () => db.selectFrom('tasks.outbox').select('id').execute(),
        (rows) => rows.length === 0,
      )
    } finally {
      await relay.stop()
    }
  })
})

await describeEachDatabase('outbox relay linger', (backend) => {
  const api = useHarness(backend)

  /**
   * A relay woken after each of `count` creations; the record counts of its Kafka requests. With
   * `oneAtATime`, each creation waits for the previous one's send (else a creation racing the woken
   * round's read may be in it or not).
   */
  async function sendsForCreations(lingerMs: number, count: number, oneAtATime = false): Promise<number[]> {
    const sends: number[] = []
    const publisher = recordingPublisher()
    let selects = 0
    const relay = createOutboxRelay({
      db: api.database.db,
      logger: silentLogger,
      lingerMs,
      // Only the wakes below start a round.
      pollIntervalMs: 600_000,
      retention: false,
      publisher: {
        publish: async (topic, records) => {
          sends.push(records.length)
          await publisher.publish(topic, records)
        },
      },
      observer: { queried: (query) => void (query === 'select' && selects++) },
    })
    relay.start()
    try {
      // The first round found nothing: the relay now sleeps until woken.
      await eventually(
        () => selects,
        (n) => n >= 1,
      )
      for (let i = 0; i < count; i++) {
        const created = await api.call('POST', '/tasks', { user: 'linger', body: { title: `t ${i}` } })
        expect(created.status).toBe(201)
        relay.wake()
        if (oneAtATime)
          await eventually(
            () => publisher.records.length,
            (n) => n === i + 1,
          )
      }
      await eventually(
        () => publisher.records.length,
        (n) => n === count,
      )
      return sends
    } finally {
      await relay.stop()
    }
  }

  it('commits that come while a woken round lingers share its read and its one Kafka request', async () => {
    expect(await sendsForCreations(1_000, 4)).toEqual([4])
  })

  it('without a linger, each woken round reads what was committed before it: one send per creation', async () => {
    expect(await sendsForCreations(0, 4, true)).toEqual([1, 1, 1, 1])
  })
})

await describeEachDatabase('outbox relay crashes', (backend) => {
  const api = useHarness(backend)

  it('a batch whose acknowledgement was lost is sent again with the same CloudEvent ids', async () => {
    const created = await api.call('POST', '/tasks', { user: 'lost-ack', body: { title: 'ack lost' } })
    const delivered: Published[] = []
    let first = true
    const relay = createOutboxRelay({
      db: api.database.db,
      logger: silentLogger,
      pollIntervalMs: 20,
      backoff: { initialMs: 10, maxMs: 50 },
      publisher: {
        async publish(_topic, records) {
          delivered.push(...records)
          // The broker stored the batch but the answer never came back (a crash or a cut right after).
          if (first) {
            first = false
            throw new Error('connection reset before the acknowledgement')
          }
        },
      },
    })
    relay.start()
    try {
      await eventually(
        () => readOutboxBacklog(api.database.db),
        (now) => now.count === 0,
      )
    } finally {
      await relay.stop()
    }
    const mine = delivered.filter((record) => record.key === created.body.id)
    expect(mine).toHaveLength(2)
    expect(mine[0]!.headers.ce_id).toBe(mine[1]!.headers.ce_id)
  })

  it('lanes of a relay that died are taken over when its lease lapses, and nothing is lost', async () => {
    // A relay that crashed while owning every lane: its lease rows stay until they expire.
    await api.database.db
      .updateTable('tasks.outbox_lanes')
      .set({ owner: 'crashed-relay', lease_until: sql<Date>`now() + interval '300 milliseconds'` })
      .execute()
    const created = await api.call('POST', '/tasks', {
      user: 'survivor',
      body: { title: 'outlives a crash' },
    })
    const publisher = recordingPublisher()
    const relay = createOutboxRelay({
      db: api.database.db,
      publisher,
      logger: silentLogger,
      pollIntervalMs: 20,
    })
    relay.start()
    try {
      await eventually(
        () => publisher.records,
        (records) => records.some((record) => record.key === created.body.id),
      )
      expect(relay.status().ownedLanes).toHaveLength(16)
    } finally {
      await relay.stop()
    }
  })
})
