// Needs: PostgreSQL (a database of its own, reached through a TCP proxy this suite cuts); PGlite.
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listenForNotifications, serveEmbeddedPostgres } from '../../../db/src/index.ts'
import { eventually } from '../../support/eventually.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { type DatabaseProxy, proxyDatabaseUrl } from '../../support/tcp-proxy.ts'

const ready = await postgresAvailable()

const notify = async (url: string, channel: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('select pg_notify($1, $2)', [channel, ''])
  } finally {
    await client.end()
  }
}

describe.runIf(ready)('listening for notifications on PostgreSQL', () => {
  let database: TestDatabase
  let path: DatabaseProxy
  beforeAll(async () => {
    database = await createTestDatabase()
    path = await proxyDatabaseUrl(database.url)
  })
  afterAll(async () => {
    await path?.close()
    await database?.drop()
  })

  it('reports each notification of its channel, and one after every (re)connect', async () => {
    let reported = 0
    const listener = listenForNotifications({
      url: path.url,
      channel: 'taskflow_test',
      applicationName: 'listener-test',
      onNotification: () => reported++,
      backoff: { initialMs: 50, maxMs: 200 },
    })
    try {
      await eventually(() => listener.listening() && reported === 1, 'listening, with the connect reported')
      await notify(database.url, 'taskflow_test')
      await notify(database.url, 'another_channel')
      await eventually(() => reported === 2, 'the notification of its channel')

      // The path to the database goes away and comes back: the listener connects again by itself and
      // reports at once (notifications sent meanwhile were never delivered to it).
      path.cut()
      await eventually(() => !listener.listening(), 'the lost connection noticed')
      path.restore()
      await eventually(() => listener.listening() && reported === 3, 'listening again, reconnect reported')
      await notify(database.url, 'taskflow_test')
      await eventually(() => reported === 4, 'a notification after the reconnect')
    } finally {
      await listener.close()
    }
  })

  it('refuses a channel name it would have to quote', () => {
    expect(() =>
      listenForNotifications({
        url: path.url,
        channel: 'bad"; drop table x; --',
        applicationName: 'listener-test',
        onNotification: () => {},
      }),
    ).toThrow(/invalid channel name/)
  })
})

describe('listening for notifications on PGlite', () => {
  it('does not listen (its connections share one session) and reports nothing', async () => {
    const embedded = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    const lines: string[] = []
    let reported = 0
    const listener = listenForNotifications({
      url: embedded.url,
      channel: 'taskflow_test',
      applicationName: 'listener-test',
      onNotification: () => reported++,
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    })
    try {
      await eventually(() => lines.some((line) => line.includes('PGlite: not listening')), 'the decision')
      await notify(embedded.url, 'taskflow_test')
      expect(listener.listening()).toBe(false)
      expect(reported).toBe(0)
    } finally {
      await listener.close()
      await embedded.close()
    }
  })
})
