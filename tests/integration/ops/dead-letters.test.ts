// Needs: Kafka (the integration global setup's broker). The dead letters are written as the local
// KafkaSink writes them (binary-mode CloudEvents with the knativeerror* extensions) on a topic of the
// test's own; the sinks they failed at are HTTP servers of the test.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kafkaCodec } from '../../../events/src/index.ts'
import { createProducer, type Kafka } from '../../../kafka/src/index.ts'
import {
  type DeadLetter,
  deadLetterTopics,
  matches,
  readDeadLetters,
  replayDeadLetters,
} from '../../../ops/dead-letters/dead-letters.ts'
import { loadSystemManifests } from '../../../sources/src/manifests.ts'
import {
  createTempTopic,
  kafkaAvailable,
  kafkaBrokers,
  type TempTopic,
  testKafka,
} from '../../support/kafka.ts'

const ready = await kafkaAvailable()

type Received = { path: string; headers: IncomingHttpHeaders; body: string }

/** A sink that notes every request and answers `status`. */
async function startSink(status: {
  value: number
}): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      })
      response.writeHead(status.value).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server }
}

const deadLetter = (id: string, destination: string, code: string) => ({
  specversion: '1.0',
  id,
  source: '/taskflow/api',
  type: 'dev.taskflow.task.created',
  subject: `task-${id}`,
  datacontenttype: 'application/json',
  data: { task: { id: `task-${id}` } },
  knativekafkapartition: '3',
  knativekafkaoffset: '42',
  knativeerrordest: destination,
  knativeerrorcode: code,
  knativeerrordata: 'database unavailable',
})

describe('the dead-letter topic of the sources/ manifests', () => {
  it('is the topic of the KafkaSink every KafkaSource dead-letters to', () => {
    const manifests = loadSystemManifests(new URL('../../../', import.meta.url).pathname)
    expect(manifests.kafkaSources.length).toBeGreaterThan(0)
    expect(deadLetterTopics(manifests)).toEqual(['dead-letters'])
  })
})

describe.runIf(ready)('dead letters: read back and replayed', () => {
  let kafka: Kafka
  let topic: TempTopic
  const status = { value: 202 }
  let sink: Awaited<ReturnType<typeof startSink>>
  let letters: DeadLetter[]

  beforeAll(async () => {
    kafka = testKafka('dead-letters-test')
    topic = await createTempTopic(kafka, { partitions: 1 })
    sink = await startSink(status)
    const producer = createProducer(kafka)
    await producer.connect()
    await producer.send(topic.name, [
      kafkaCodec.encode(deadLetter('a', `${sink.url}/audit-log`, '503')),
      kafkaCodec.encode(deadLetter('b', `${sink.url}/notification-fanout`, '400')),
      kafkaCodec.encode(deadLetter('c', `${sink.url}/audit-log`, '500')),
      // Not a CloudEvent at all: listed, never sent anywhere.
      { key: null, value: Buffer.from('not an event'), headers: {} },
      // What a 400 for a broken body dead-letters: its attributes are in the headers, its data is not JSON.
      {
        key: null,
        value: Buffer.from('{"task": broken'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'd',
          ce_source: '/taskflow/api',
          ce_type: 'dev.taskflow.task.created',
          ce_knativeerrordest: `${sink.url}/audit-log`,
          ce_knativeerrorcode: '400',
          'content-type': 'application/json',
        },
      },
    ])
    await producer.disconnect()
    letters = await readDeadLetters(kafka, topic.name)
  })
  afterAll(async () => {
    sink?.server.close()
    await topic?.delete().catch(() => {})
  })

  it('reads every record to the end of the topic, in order, naming where each failed', () => {
    expect(letters.map((letter) => [letter.id, letter.code, letter.destination])).toEqual([
      ['a', '503', `${sink.url}/audit-log`],
      ['b', '400', `${sink.url}/notification-fanout`],
      ['c', '500', `${sink.url}/audit-log`],
      [undefined, undefined, undefined],
      ['d', '400', `${sink.url}/audit-log`],
    ])
    expect(letters[3]!.problem).toMatch(/CloudEvent/)
  })

  it('filters by code, code class and destination', () => {
    const ids = (filter: Parameters<typeof matches>[1]) =>
      letters.filter((letter) => matches(letter, filter)).map((letter) => letter.id)
    expect(ids({ codes: ['5xx'] })).toEqual(['a', 'c'])
    expect(ids({ codes: ['400'] })).toEqual(['b', 'd'])
    expect(ids({ destination: '/notification-fanout' })).toEqual(['b'])
    expect(ids({ since: new Date(Date.now() + 60_000) })).toEqual([])
  })

  it('replays an event without the error attributes to the sink it failed at, and reports what failed', async () => {
    const [a, b, c, notAnEvent, broken] = letters as [
      DeadLetter,
      DeadLetter,
      DeadLetter,
      DeadLetter,
      DeadLetter,
    ]
    sink.received.length = 0
    status.value = 202
    const outcomes = await replayDeadLetters([a, c, notAnEvent])
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['replayed', 'replayed', 'skipped'])
    expect(sink.received.map((request) => [request.path, request.headers['ce-id']])).toEqual([
      ['/audit-log', 'a'],
      ['/audit-log', 'c'],
    ])
    const [first] = sink.received
    expect(first!.headers).toMatchObject({
      'ce-type': 'dev.taskflow.task.created',
      'ce-source': '/taskflow/api',
      'ce-knativekafkaoffset': '42',
      'content-type': 'application/json',
    })
    expect(Object.keys(first!.headers).filter((name) => name.startsWith('ce-knativeerror'))).toEqual([])
    expect(JSON.parse(first!.body)).toEqual({ task: { id: 'task-a' } })

    // The sender's token (the functions check it) goes with each replayed event.
    sink.received.length = 0
    await replayDeadLetters([a], { token: 'source-token' })
    expect(sink.received.map((request) => request.headers.authorization)).toEqual(['Bearer source-token'])
    expect(first!.headers.authorization).toBeUndefined()

    // The broken one goes back as it came, byte for byte, to where it failed.
    sink.received.length = 0
    expect((await replayDeadLetters([broken]))[0]!.result).toBe('replayed')
    expect(sink.received.map((request) => [request.path, request.body])).toEqual([
      ['/audit-log', '{"task": broken'],
    ])

    status.value = 503
    const refused = await replayDeadLetters([b], { to: `${sink.url}/elsewhere` })
    expect(refused).toMatchObject([{ result: 'failed', detail: 'HTTP 503', target: `${sink.url}/elsewhere` }])
  })

  it('npm run dead-letters lists and replays from the command line', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['ops/dead-letters/main.ts', ...args, '--topic', topic.name], {
        cwd: new URL('../../../', import.meta.url).pathname,
        env: { PATH: process.env.PATH, KAFKA_BROKERS: kafkaBrokers().join(',') },
      })
    const listed = await run(['list', '--code', '5xx'])
    expect(listed.stdout).toContain(`${topic.name}: 2 dead letter(s) matching`)
    for (const code of ['503', '500']) {
      expect(listed.stdout).toMatch(new RegExp(`^\\s+1\\s+${code}\\s+${sink.url}/audit-log\\s`, 'm'))
    }

    sink.received.length = 0
    status.value = 202
    const replayed = await run(['replay', '--destination', '/notification-fanout'])
    expect(replayed.stdout).toContain('1 replayed, 0 failed, 0 skipped')
    expect(sink.received.map((request) => request.headers['ce-id'])).toEqual(['b'])

    status.value = 500
    const failing = run(['replay', '--code', '503'])
    await expect(failing).rejects.toMatchObject({ code: 1 })

    // A dead letter whose data is not JSON is filed under the sink it failed at, and replayed there.
    const broken = await run(['list', '--code', '400', '--destination', '/audit-log'])
    expect(broken.stdout).toMatch(new RegExp(`^\\s+1\\s+400\\s+${sink.url}/audit-log\\s`, 'm'))
    expect(broken.stdout).not.toContain('(no knativeerrordest)')
    const planned = await run(['replay', '--code', '400', '--destination', '/audit-log', '--dry-run'])
    expect(planned.stdout).toContain(`would post d (${topic.name} 0/4) to ${sink.url}/audit-log`)
  })
})
