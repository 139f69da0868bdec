import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type DatabaseHandle,
  type EmbeddedPostgres,
  isTransientDatabaseError,
  openDatabase,
  serveEmbeddedPostgres,
} from '../../../db/src/index.ts'
import { type PrivatePostgres, startPrivatePostgres } from '../../support/private-postgres.ts'
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts'

// Needs: PostgreSQL server binaries on this machine (a private server is started and killed; the
// shared one is never touched). PGlite for the proxy case.

async function queryFailure(handle: DatabaseHandle<unknown>): Promise<unknown> {
  return handle.pool.query('select 1').then(
    () => undefined,
    (error: unknown) => error,
  )
}

// After an outage the pool's idle connections are dead; the pool discards one per failed checkout.
// What matters for callers: some query fails transiently, and the pool works again without a restart.
async function firstSuccessAfterRecovery(
  handle: DatabaseHandle<unknown>,
  attempts: number,
): Promise<unknown[]> {
  const failures: unknown[] = []
  for (let attempt = 0; attempt < attempts; attempt++) {
    const failure = await queryFailure(handle)
    if (failure === undefined) return failures
    failures.push(failure)
  }
  throw new Error(`pool did not recover: ${failures.map(String).join('; ')}`)
}

describe('database down: a private PostgreSQL that dies', () => {
  let server: PrivatePostgres
  let handle: DatabaseHandle<unknown>
  beforeAll(async () => {
    server = await startPrivatePostgres()
    handle = await openDatabase({
      url: server.url,
      applicationName: 'down-test',
      poolMax: 3,
      connectTimeoutMs: 2000,
    })
  })
  afterAll(async () => {
    await handle?.close()
    await server?.destroy()
  })

  it('a crashed server gives a transient error and the pool recovers after restart', async () => {
    await handle.ping()
    await server.kill()

    const failure = await queryFailure(handle)
    expect(failure).toBeInstanceOf(Error)
    expect(isTransientDatabaseError(failure)).toBe(true)
    await expect(handle.ping()).rejects.toSatisfy(isTransientDatabaseError)

    await server.start()
    const failuresWhileRecovering = await firstSuccessAfterRecovery(handle, 5)
    expect(failuresWhileRecovering.every(isTransientDatabaseError)).toBe(true)
  })

  it('a fast shutdown (57P01) of a checked-out idle session is transient, crashes nothing, and the pool recovers', async () => {
    const client = await handle.pool.connect()
    const ended = new Promise<unknown>((resolve) => client.once('error', resolve))
    await server.stop()
    const sessionError = await ended
    client.release(true)
    expect(isTransientDatabaseError(sessionError)).toBe(true)

    await server.start()
    await firstSuccessAfterRecovery(handle, 5)
  })
})

describe('database down: the network path to PGlite is cut', () => {
  let embedded: EmbeddedPostgres
  let proxy: TcpProxy
  let handle: DatabaseHandle<unknown>
  beforeAll(async () => {
    embedded = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    const target = new URL(embedded.url)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) })
    handle = await openDatabase({
      url: `postgres://postgres@${proxy.host}:${proxy.port}/postgres`,
      applicationName: 'proxy-test',
      poolMax: 2,
      connectTimeoutMs: 2000,
    })
  })
  afterAll(async () => {
    await handle?.close()
    await proxy?.close()
    await embedded?.close()
  })

  it('queries fail transiently while cut and succeed after restore', async () => {
    await handle.ping()
    proxy.cut()
    const failure = await queryFailure(handle)
    expect(isTransientDatabaseError(failure)).toBe(true)
    await expect(handle.ping()).rejects.toSatisfy(isTransientDatabaseError)

    proxy.restore()
    await firstSuccessAfterRecovery(handle, 5)
  })
})
