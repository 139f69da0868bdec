import pino from 'pino'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { type KafkaSink, startKafkaSink } from '../../../../local/src/eventing/kafka-sink.ts'
import type { AppendedPosition, AppendRecord, LogProducer } from '../../../../local/src/eventlog/types.ts'

const logger = pino({ level: 'silent' })

/** Records what the sink appends; `next` decides how the next send ends. */
class RecordingProducer implements LogProducer {
  readonly sent: { topic: string; records: readonly AppendRecord[] }[] = []
  failWith: Error | null = null
  hold: Promise<void> | null = null

  async send(topic: string, records: readonly AppendRecord[]): Promise<AppendedPosition[]> {
    this.sent.push({ topic, records })
    if (this.hold) await this.hold
    if (this.failWith) throw this.failWith
    return records.map((_, index) => ({ topic, partition: 0, offset: String(index) }))
  }

  async close(): Promise<void> {}
}

const sinks: KafkaSink[] = []
async function sink(producer: LogProducer, contentMode: 'binary' | 'structured' = 'binary') {
  const started = await startKafkaSink({
    name: 'test-sink',
    topic: 'task-events',
    producer,
    contentMode,
    logger,
  })
  sinks.push(started)
  return started
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((started) => started.stop()))
})

const binaryHeaders = {
  'ce-specversion': '1.0',
  'ce-id': 'evt-1',
  'ce-source': '/taskflow/api',
  'ce-type': 'dev.taskflow.task.created',
  'ce-subject': 'task-42',
  'content-type': 'application/json',
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  method: 'POST' | 'GET' = 'POST',
) {
  const response = await request(url, { method, headers, body: method === 'POST' ? body : null })
  const text = await response.body.text()
  return { status: response.statusCode, body: text ? JSON.parse(text) : null }
}

describe('KafkaSink endpoint: accepted events', () => {
  it('writes a binary-mode event as a binary record and answers 202 after the log acknowledged', async () => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    const reply = await post(started.url, binaryHeaders, '{"title":"write tests"}')
    expect(reply.status).toBe(202)
    expect(producer.sent).toHaveLength(1)
    const [record] = producer.sent[0]!.records
    expect(producer.sent[0]!.topic).toBe('task-events')
    expect(record!.headers).toMatchObject({
      ce_id: 'evt-1',
      ce_source: '/taskflow/api',
      ce_type: 'dev.taskflow.task.created',
      ce_specversion: '1.0',
      'content-type': 'application/json',
    })
    expect(JSON.parse(record!.value.toString('utf8'))).toEqual({ title: 'write tests' })
  })

  it('forwards binary-mode data it cannot parse byte for byte: a dead letter is never refused for its fault', async () => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    const broken = '{"task": not json \u00ff'
    const reply = await post(started.url, { ...binaryHeaders, 'ce-knativeerrorcode': '400' }, broken)
    expect(reply.status).toBe(202)
    const [record] = producer.sent[0]!.records
    expect(record!.headers).toMatchObject({
      ce_id: 'evt-1',
      ce_knativeerrorcode: '400',
      'content-type': 'application/json',
    })
    expect(record!.value.toString('utf8')).toBe(broken)
  })

  it('writes a structured record when the KafkaSink content mode is structured', async () => {
    const producer = new RecordingProducer()
    const started = await sink(producer, 'structured')
    expect((await post(started.url, binaryHeaders, '{"title":"x"}')).status).toBe(202)
    const [record] = producer.sent[0]!.records
    expect(record!.headers['content-type']).toMatch(/^application\/cloudevents\+json/)
    expect(JSON.parse(record!.value.toString('utf8'))).toMatchObject({
      id: 'evt-1',
      type: 'dev.taskflow.task.created',
      data: { title: 'x' },
    })
  })

  it('accepts a structured-mode request', async () => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    const event = { specversion: '1.0', id: 'evt-2', source: '/s', type: 't', data: { n: 1 } }
    const reply = await post(
      started.url,
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify(event),
    )
    expect(reply.status).toBe(202)
    expect(producer.sent[0]!.records[0]!.headers).toMatchObject({ ce_id: 'evt-2', ce_type: 't' })
  })

  it.each([
    [{ 'ce-partitionkey': 'pk-1' }, 'pk-1'],
    [{}, 'task-42'],
  ])('keys the record by partitionkey, else subject (%o -> %s)', async (extra, key) => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    await post(started.url, { ...binaryHeaders, ...extra }, '{}')
    expect(producer.sent[0]!.records[0]!.key).toBe(key)
  })

  it('writes an event with neither partitionkey nor subject without a key', async () => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    const { 'ce-subject': _subject, ...headers } = binaryHeaders
    await post(started.url, headers, '{}')
    expect(producer.sent[0]!.records[0]!.key).toBeNull()
  })

  it('does not answer before the log acknowledged the write', async () => {
    const producer = new RecordingProducer()
    let release = () => {}
    producer.hold = new Promise((resolve) => {
      release = resolve
    })
    const started = await sink(producer)
    let answered = false
    const reply = post(started.url, binaryHeaders, '{}').then((result) => {
      answered = true
      return result
    })
    while (producer.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(answered).toBe(false)
    release()
    expect((await reply).status).toBe(202)
  })
})

describe('KafkaSink endpoint: rejected requests', () => {
  it.each(['ce-id', 'ce-source', 'ce-type'])('answers 400 naming the missing %s header', async (header) => {
    const producer = new RecordingProducer()
    const started = await sink(producer)
    const headers: Record<string, string> = { ...binaryHeaders }
    delete headers[header]
    const reply = await post(started.url, headers, '{}')
    expect(reply.status).toBe(400)
    expect(reply.body.detail).toContain(header)
    expect(producer.sent).toHaveLength(0)
  })

  it('answers 400 to a request without ce-specversion (not a CloudEvent)', async () => {
    const started = await sink(new RecordingProducer())
    const { 'ce-specversion': _specversion, ...headers } = binaryHeaders
    const reply = await post(started.url, headers, '{}')
    expect(reply.status).toBe(400)
    expect(reply.body.detail).toContain('ce-specversion')
  })

  it('answers 400 to a structured request with malformed JSON', async () => {
    const started = await sink(new RecordingProducer())
    const reply = await post(started.url, { 'content-type': 'application/cloudevents+json' }, '{"id": ')
    expect(reply.status).toBe(400)
  })

  it('answers 415 to a structured format it does not support', async () => {
    const started = await sink(new RecordingProducer())
    const reply = await post(started.url, { 'content-type': 'application/cloudevents-batch+json' }, '[]')
    expect(reply.status).toBe(415)
  })

  it('answers 503 when the log write fails, so the sender retries', async () => {
    const producer = new RecordingProducer()
    producer.failWith = new Error('broker unavailable')
    const started = await sink(producer)
    const reply = await post(started.url, binaryHeaders, '{}')
    expect(reply.status).toBe(503)
    expect(started.stats()).toEqual({ accepted: 0, rejected: 0, writeFailures: 1, refused: 0 })
  })

  it('answers 405 to anything but POST', async () => {
    const started = await sink(new RecordingProducer())
    expect((await post(started.url, {}, '', 'GET')).status).toBe(405)
  })
})
