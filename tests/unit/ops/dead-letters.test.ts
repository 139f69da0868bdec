// The dead-letter tool on the embedded event log (npm start's default), run as a user runs it; and how
// a dead-letter record is read: from its headers, whatever its body. Kafka: tests/integration/ops.

import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPostgres, openDatabase, serveEmbeddedPostgres } from '../../../db/src/index.ts'
import { kafkaCodec } from '../../../events/src/index.ts'
import { createEmbeddedEventLog, type EmbeddedEventLog } from '../../../local/src/eventlog/index.ts'
import type { SystemStatus } from '../../../local/src/status.ts'
import { deadLetterOf } from '../../../ops/dead-letters/dead-letters.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { runCli } from '../../support/run-cli.ts'
import { type SystemStub, startSystemStub } from '../../support/system-stub.ts'

/** As a KafkaSource dead-letters an event whose body is broken JSON: binary mode, the body as it came. */
const brokenRecord = (destination: string) => ({
  key: null,
  value: Buffer.from('{"task": {"id": broken'),
  headers: {
    ce_specversion: '1.0',
    ce_id: 'broken-1',
    ce_source: '/taskflow/api',
    ce_type: 'dev.taskflow.task.created',
    ce_knativeerrordest: destination,
    ce_knativeerrorcode: '400',
    ce_knativeerrordata: 'not JSON',
    'content-type': 'application/json',
  },
})

const goodRecord = (id: string, destination: string, code: string) =>
  kafkaCodec.encode({
    specversion: '1.0',
    id,
    source: '/taskflow/api',
    type: 'dev.taskflow.task.created',
    datacontenttype: 'application/json',
    data: { task: { id } },
    knativeerrordest: destination,
    knativeerrorcode: code,
  })

const consumed = (record: { key: string | null; value: Buffer; headers: Record<string, string> }) => ({
  topic: 'dead-letters',
  partition: 0,
  offset: '7',
  timestamp: '1764842400000',
  ...record,
  // kafkajs hands header values over as Buffers.
  headers: Object.fromEntries(
    Object.entries(record.headers).map(([name, value]) => [name, Buffer.from(value)]),
  ),
})

describe('a dead-letter record', () => {
  it('names where it failed and why from its headers, though its data is not valid JSON', () => {
    const letter = deadLetterOf(consumed(brokenRecord('http://127.0.0.1:1/audit-log')))
    expect(letter).toMatchObject({
      id: 'broken-1',
      type: 'dev.taskflow.task.created',
      destination: 'http://127.0.0.1:1/audit-log',
      code: '400',
      problem: undefined,
    })
    // Replayed as it came: the body byte for byte, the error attributes left out.
    expect(letter.message?.body.toString()).toBe('{"task": {"id": broken')
    expect(letter.message?.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'broken-1',
      'ce-source': '/taskflow/api',
      'ce-type': 'dev.taskflow.task.created',
      'content-type': 'application/json',
    })
  })

  it('is read from a structured value when it is one, and said to be no CloudEvent when it is none', () => {
    const structured = kafkaCodec.encode(
      {
        specversion: '1.0',
        id: 's',
        source: '/x',
        type: 't',
        knativeerrordest: 'http://d/',
        knativeerrorcode: '503',
      },
      { mode: 'structured' },
    )
    expect(deadLetterOf(consumed(structured))).toMatchObject({
      id: 's',
      destination: 'http://d/',
      code: '503',
    })
    const broken = {
      key: null,
      value: Buffer.from('{oops'),
      headers: { 'content-type': 'application/cloudevents+json' },
    }
    expect(deadLetterOf(consumed(broken))).toMatchObject({ message: undefined, problem: /structured event/ })
    const plain = deadLetterOf(consumed({ key: null, value: Buffer.from('x'), headers: {} }))
    expect(plain).toMatchObject({ id: undefined, message: undefined, problem: /not a CloudEvent/ })
  })
})

describe('npm run dead-letters on the embedded event log of the running local system', () => {
  let database: EmbeddedPostgres
  let log: EmbeddedEventLog
  let closeDb: () => Promise<void>
  let system: SystemStub
  let sink: RecordingSink
  let stateFile: string

  beforeAll(async () => {
    database = await serveEmbeddedPostgres({ dataDir: 'memory://' })
    const opened = await openDatabase({ url: database.url, applicationName: 'dead-letters-test', poolMax: 2 })
    closeDb = () => opened.close()
    log = await createEmbeddedEventLog({ db: opened.db, logger: pino({ level: 'silent' }) })
    await log.ensureTopic('dead-letters', 2)
    sink = await startRecordingSink({ path: '/audit-log' })
    const producer = await log.producer()
    await producer.send('dead-letters', [
      brokenRecord(sink.url),
      goodRecord('good-1', sink.url, '503'),
      goodRecord('good-2', 'http://127.0.0.1:1/notification-fanout', '500'),
    ])
    const status: Pick<SystemStatus, 'eventLog' | 'eventLogAddress'> = {
      eventLog: 'embedded',
      eventLogAddress: { kind: 'embedded', database: database.url },
    }
    system = await startSystemStub(
      (_req, res) => res.end(JSON.stringify(status)),
      (url) => ({
        functions: { 'audit-log': sink.url },
        status: `${url}_local/status`,
        invokeTokens: { 'audit-log': 'audit-log-source-token' },
      }),
    )
    stateFile = system.stateFile
  })
  afterAll(async () => {
    await system?.close()
    await sink?.close()
    await log?.close()
    await closeDb?.()
    await database?.close()
  })

  const run = (args: string[]) => runCli('ops/dead-letters/main.ts', [...args, '--state-file', stateFile])

  it('lists them by the sink they failed at and its code, the broken one too', async () => {
    const listed = await run(['list'])
    expect(listed.code).toBe(0)
    expect(listed.stderr).toContain('dead letters from the embedded event log in postgres://')
    expect(listed.stdout).toContain('dead-letters: 3 dead letter(s) matching')
    expect(listed.stdout).toMatch(new RegExp(`^\\s+1\\s+400\\s+${sink.url}\\s`, 'm'))
    expect(listed.stdout).toMatch(new RegExp(`^\\s+1\\s+503\\s+${sink.url}\\s`, 'm'))
    expect(listed.stdout).not.toContain('(no knativeerrordest)')
  })

  it('replays to where each failed, with the running system’s token, the broken body as it was', async () => {
    const planned = await run(['replay', '--code', '4xx', '--dry-run'])
    expect(planned.stdout).toContain(`would post broken-1 (dead-letters `)
    expect(planned.stdout).toContain(`to ${sink.url}`)
    expect(sink.requests).toHaveLength(0)

    const replayed = await run(['replay', '--destination', '/audit-log'])
    expect(replayed.stdout).toContain('dead-letters: 2 replayed, 0 failed, 0 skipped')
    expect(replayed.code).toBe(0)
    const broken = sink.requests.find((request) => request.headers['ce-id'] === 'broken-1')!
    expect(broken.body).toBe('{"task": {"id": broken')
    expect(broken.headers.authorization).toBe('Bearer audit-log-source-token')
    expect(Object.keys(broken.headers).filter((name) => name.startsWith('ce-knativeerror'))).toEqual([])

    // Nothing listens at the other one's sink: reported, exit code 1.
    const refused = await run(['replay', '--code', '500'])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('0 replayed, 1 failed')
  })

  it('says which event log to set, exit code 2, when there is none to read', async () => {
    const none = await runCli('ops/dead-letters/main.ts', [
      'list',
      '--state-file',
      join(system.dir, 'none.json'),
    ])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/npm start.*KAFKA_BROKERS.*DATABASE_URL/s)
    expect(none.stderr).not.toMatch(/\n\s+at /)
    const noBroker = await runCli('ops/dead-letters/main.ts', ['list'], { KAFKA_BROKERS: '127.0.0.1:1' })
    expect(noBroker.code).toBe(2)
    expect(noBroker.stderr).toContain('no Kafka broker answered at 127.0.0.1:1')
    expect(noBroker.stderr).not.toMatch(/\n\s+at /)
  })

  it('answers --help and refuses unknown flags and commands with the usage (2)', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: npm run dead-letters')
    for (const args of [['list', '--bogus'], ['lst'], [], ['list', '--code', 'x'], ['list', 'extra']]) {
      const refused = await run(args)
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.stderr).toContain('Usage: npm run dead-letters')
    }
  })
})
