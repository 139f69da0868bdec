import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../../../db/src/index.ts'

// Needs: nothing but PGlite (embedded).
// PGlite is ONE Postgres backend; pglite-socket multiplexes many sockets onto it. These tests pin
// down what that means for clients, so a pglite-socket upgrade that changes any of it is noticed
// (db/README.md, "Limits of the embedded database", explains each).

describe('pglite-socket: what several connections share', () => {
  let server: EmbeddedPostgres
  let pool: pg.Pool
  beforeAll(async () => {
    server = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    pool = new pg.Pool({ connectionString: server.url, max: 4 })
  })
  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  it('a transaction holds the whole database: another connection runs only after it commits', async () => {
    await pool.query('create table ledger (entry text)')
    const order: string[] = []
    const owner = await pool.connect()
    try {
      await owner.query('begin')
      await owner.query("insert into ledger values ('in-transaction')")
      const other = pool.query('select count(*)::int as n from ledger').then((result) => {
        order.push('other connection')
        return result.rows[0].n as number
      })
      for (const step of ['step 1', 'step 2']) {
        await owner.query('select 1')
        order.push(step)
      }
      await owner.query('commit')
      order.push('commit')
      // On PostgreSQL the other query would finish first and count 0 rows.
      expect(await other).toBe(1)
      expect(order).toEqual(['step 1', 'step 2', 'commit', 'other connection'])
    } finally {
      owner.release()
    }
  })

  it('session settings made on one connection are seen by the others', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()]
    try {
      await a.query("set application_name = 'set-by-a'")
      const { rows } = await b.query('show application_name')
      expect(rows).toEqual([{ application_name: 'set-by-a' }])
    } finally {
      a.release()
      b.release()
    }
  })

  it('named prepared statements collide across connections', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()]
    try {
      await a.query({ name: 'count_ledger', text: 'select count(*) from ledger' })
      await expect(b.query({ name: 'count_ledger', text: 'select count(*) from ledger' })).rejects.toThrow(
        'prepared statement "count_ledger" already exists',
      )
    } finally {
      a.release()
      b.release()
    }
  })

  it('NOTIFY reaches the connection that sent it, not a listener on another connection', async () => {
    const listener = new pg.Client(server.url)
    const notifier = new pg.Client(server.url)
    await listener.connect()
    await notifier.connect()
    try {
      const received: string[] = []
      listener.on('notification', (message) => received.push(`listener:${message.payload}`))
      notifier.on('notification', (message) => received.push(`notifier:${message.payload}`))
      await listener.query('listen task_changes')
      await notifier.query("notify task_changes, 'hello'")
      // A round trip on each connection flushes anything the server had queued for it.
      await listener.query('select 1')
      await notifier.query('select 1')
      expect(received).toEqual(['notifier:hello'])
    } finally {
      await listener.end()
      await notifier.end()
    }
  })

  it('a failed extended-protocol query leaves its connection usable', async () => {
    const client = await pool.connect()
    try {
      await expect(client.query('select $1::int / 0', [1])).rejects.toThrow('division by zero')
      const { rows } = await client.query('select $1::int as v', [7])
      expect(rows).toEqual([{ v: 7 }])
    } finally {
      client.release()
    }
  })
})

describe('pglite-socket: connection limit', () => {
  let server: EmbeddedPostgres
  beforeAll(async () => {
    server = await serveEmbeddedPostgres({ dataDir: 'memory://', maxConnections: 1 })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('a connection over maxConnections is closed at once, not queued', async () => {
    const first = new pg.Client(server.url)
    await first.connect()
    const second = new pg.Client(server.url)
    try {
      await expect(second.connect()).rejects.toThrow('Connection terminated unexpectedly')
    } finally {
      await first.end()
    }
  })
})
