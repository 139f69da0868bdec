import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { LocalKafkaError } from '../../../brokers/local/src/errors.ts'
import { assertJava, ensureKafkaJars } from '../../../brokers/local/src/jars.ts'
import { assertPortFree } from '../../../brokers/local/src/ports.ts'

describe('local broker start-up errors say what is wrong and how to use another broker', () => {
  const path = process.env.PATH
  let server: Server | undefined
  afterEach(() => {
    process.env.PATH = path
    server?.close()
    server = undefined
  })

  it('a taken port', async () => {
    server = createServer()
    const port = await new Promise<number>((resolve) =>
      server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)),
    )
    const error = await assertPortFree(port).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LocalKafkaError)
    expect(error).toMatchObject({ code: 'port-taken' })
    expect((error as Error).message).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${port} is already in use[\\s\\S]*KAFKA_BROKERS=`),
    )
  })

  it('a SCRAM password kafka-storage would misread, refused before anything starts', async () => {
    process.env.PATH = '/nonexistent' // nothing (no java, no mvn) is reached
    const error = await startLocalKafka({
      saslSsl: { keyStorePemFile: '/unused.pem', users: [{ name: 'task-api', password: 'a,b]' }] },
    }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'LocalKafkaError', code: 'bad-option' })
    expect((error as Error).message).toMatch(/SCRAM user "task-api": name and password may hold only/)
    expect((error as Error).message).not.toContain('a,b]')
  })

  it('no java on the PATH', async () => {
    process.env.PATH = '/nonexistent'
    const error = await assertJava().catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'LocalKafkaError', code: 'java-missing' })
    expect((error as Error).message).toMatch(/Java 17\+[\s\S]*KAFKA_BROKERS=host:port/)
  })

  it('no mvn on the PATH when the jars are not cached', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'kafka-cache-'))
    process.env.PATH = '/nonexistent'
    const error = await ensureKafkaJars(cacheDir).catch((caught: unknown) => caught)
    await rm(cacheDir, { recursive: true, force: true })
    expect(error).toMatchObject({ name: 'LocalKafkaError', code: 'mvn-missing' })
    expect((error as Error).message).toMatch(/mvn is not on the PATH[\s\S]*KAFKA_BROKERS=/)
  })
})
