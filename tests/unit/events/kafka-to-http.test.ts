import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CloudEventRecord,
  httpCodec,
  type KafkaRecordIn,
  kafkaCodec,
  kafkaRecordToHttpBinary,
} from '../../../events/src/index.ts'
import { toHttpRequest } from '../../../local/src/eventing/kafka-source.ts'
import type { LogRecord } from '../../../local/src/eventlog/types.ts'
import { cloudEventRecordArb, taskflowEventArb } from '../../support/event-arbitraries.ts'
import { consumed } from './consumed-record.ts'

const source = { namespace: 'taskflow', sourceName: 'audit-log' }

/** The reference: the full decode -> encode path the fast path must agree with. */
function viaFullDecode(record: KafkaRecordIn, ref = source) {
  const decoded = kafkaCodec.decode(record, { knative: ref })
  if (!decoded.ok) throw decoded.error
  return httpCodec.encode(decoded.value, { mode: 'binary' })
}

function bodyOf(body: string | Buffer, contentType: string | undefined): unknown {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  return contentType?.includes('json') && bytes.length > 0
    ? JSON.parse(bytes.toString('utf8'))
    : bytes.toString('hex')
}

describe('Kafka record -> HTTP binary request (the dispatcher hot path)', () => {
  it('gives the same headers and data as decode -> encode for any binary-mode CloudEvent', () => {
    fc.assert(
      fc.property(
        fc.oneof(taskflowEventArb as fc.Arbitrary<CloudEventRecord>, cloudEventRecordArb),
        fc.nat(1000),
        (event, offset) => {
          const record = consumed(kafkaCodec.encode(event, { mode: 'binary' }), String(offset))
          const fast = kafkaRecordToHttpBinary(record, source)
          if (!fast.ok) throw fast.error
          const reference = viaFullDecode(record)
          expect(fast.value.headers).toEqual(reference.headers)
          const contentType = reference.headers['content-type']
          expect(bodyOf(fast.value.body, contentType)).toEqual(bodyOf(reference.body, contentType))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('passes the value through byte for byte, as Knative does, with the partition/offset extensions', () => {
    const record = consumed(
      {
        key: 'task-1',
        value: Buffer.from('{ "spaced" : true }'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'e-1',
          ce_source: '/taskflow/api',
          ce_type: 'dev.taskflow.task.created',
          ce_actor: 'Zoë',
          'content-type': 'application/json',
          'x-other': 'dropped',
        },
      },
      '42',
    )
    const result = kafkaRecordToHttpBinary(record, { ...source, ceOverrides: { team: 'a b' } })
    if (!result.ok) throw result.error
    expect(Buffer.from(result.value.body).toString()).toBe('{ "spaced" : true }')
    expect(result.value.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'e-1',
      'ce-source': '/taskflow/api',
      'ce-type': 'dev.taskflow.task.created',
      'ce-actor': 'Zo%C3%AB',
      'ce-knativekafkapartition': '0',
      'ce-knativekafkaoffset': '42',
      'ce-team': 'a%20b',
      'content-type': 'application/json',
    })
  })

  it('falls back to the Knative wrapping for records that are not valid binary CloudEvents', () => {
    const missingId = consumed({
      key: 'k',
      value: Buffer.from('{}'),
      headers: { ce_specversion: '1.0', ce_source: '/s', ce_type: 't', 'content-type': 'application/json' },
    })
    const plain = consumed({ key: 'k', value: Buffer.from('hello'), headers: { 'x-custom': 'v' } })
    for (const record of [missingId, plain]) {
      const result = kafkaRecordToHttpBinary(record, source)
      if (!result.ok) throw result.error
      expect(result.value.headers['ce-type']).toBe('dev.knative.kafka.event')
      expect(result.value.headers).toEqual(viaFullDecode(record).headers)
    }
  })

  it('takes the structured path for application/cloudevents+json records', () => {
    const event = {
      specversion: '1.0',
      id: 'x',
      source: '/s',
      type: 't',
      datacontenttype: 'application/json',
      data: { a: 1 },
    }
    const record = consumed(kafkaCodec.encode(event, { mode: 'structured' }))
    const result = kafkaRecordToHttpBinary(record, source)
    if (!result.ok) throw result.error
    expect(result.value.headers).toEqual(viaFullDecode(record).headers)
    expect(JSON.parse(String(result.value.body))).toEqual({ a: 1 })
  })
})

describe('records even the Knative wrapping cannot represent (eventing-kafka-broker#2732)', () => {
  const record: KafkaRecordIn = {
    topic: 'task-events',
    partition: 3,
    offset: '17',
    timestamp: '1700000000000',
    key: Buffer.from('k'),
    value: Buffer.from([0xde, 0xad]),
    headers: {
      'x-bad': Buffer.from([0xff, 0xfe]),
      'x-origin': 'billing',
      ce_specversion: '1.0',
      'content-type': 'application/json',
    },
  }

  it('are a typed error for the codec, naming the header', () => {
    const result = kafkaRecordToHttpBinary(record, source)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ code: 'invalid-utf8' })
  })

  it('still reach the sink from the dispatcher: position as id, raw value, the reason attached', () => {
    const request = toHttpRequest(record as LogRecord, { ...source, ceOverrides: { team: 'a' } })
    expect(request.headers).toMatchObject({
      'ce-id': 'partition:3/offset:17',
      'ce-type': 'dev.knative.kafka.event',
      'ce-source': '/apis/v1/namespaces/taskflow/kafkasources/audit-log#task-events',
      'ce-knativekafkapartition': '3',
      'ce-knativekafkaoffset': '17',
      'ce-team': 'a',
      'content-type': 'application/octet-stream',
      prefer: 'reply',
      'kn-namespace': 'taskflow',
    })
    expect(Buffer.from(request.headers['ce-knativeerrordata']!, 'base64').toString()).toMatch(/x-bad/)
    expect(Buffer.from(request.body as Buffer)).toEqual(Buffer.from([0xde, 0xad]))
  })

  it('keep the key and every header that reads as UTF-8, leaving out only the unreadable one', () => {
    const request = toHttpRequest(record as LogRecord, source)
    expect(request.headers).toMatchObject({
      'ce-key': 'k',
      'ce-partitionkey': 'k',
      'ce-kafkaheaderxorigin': 'billing',
      'ce-kafkaheadercespecversion': '1.0',
      'ce-kafkaheadercontenttype': 'application/json',
    })
    expect(Object.keys(request.headers).filter((name) => name.includes('xbad'))).toEqual([])
  })
})
