import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError, httpCodec, type KafkaRecordIn, kafkaCodec } from '../../../events/src/index.ts'
import { taskflowEventArb } from '../../support/event-arbitraries.ts'
import { consumed } from './consumed-record.ts'

// The wrapping rules of Knative's KafkaSource dispatcher (shared/reference/knative-kafkasource.md).

const knative = { namespace: 'taskflow', sourceName: 'tasks-to-audit' }
const timestamp = '1763800000123'

function plainRecord(overrides: Partial<KafkaRecordIn> = {}): KafkaRecordIn {
  return {
    topic: 'tasks',
    partition: 0,
    offset: '0',
    timestamp,
    key: Buffer.from('key-0'),
    value: Buffer.from('{"hello":"world"}'),
    headers: { 'x-custom': Buffer.from('hello'), 'content-type': Buffer.from('application/json') },
    ...overrides,
  }
}

describe('Knative KafkaSource wrapping of plain records', () => {
  it('turns the reference record into the event Knative delivered, header for header', () => {
    const record = plainRecord()
    const decoded = kafkaCodec.decode(record, { knative })
    expect(decoded).toEqual({
      ok: true,
      value: {
        specversion: '1.0',
        id: 'partition:0/offset:0',
        source: '/apis/v1/namespaces/taskflow/kafkasources/tasks-to-audit#tasks',
        type: 'dev.knative.kafka.event',
        subject: 'partition:0#0',
        time: new Date(Number(timestamp)).toISOString(),
        key: 'key-0',
        partitionkey: 'key-0',
        kafkaheaderxcustom: 'hello',
        knativekafkapartition: '0',
        knativekafkaoffset: '0',
        datacontenttype: 'application/json',
        data: Buffer.from('{"hello":"world"}'),
      },
    })
    // Delivered to the sink in HTTP binary mode, the body is the raw value.
    const message = httpCodec.encode(
      decoded.ok ? decoded.value : { specversion: '', id: '', source: '', type: '' },
    )
    expect(message.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'partition:0/offset:0',
      'ce-source': '/apis/v1/namespaces/taskflow/kafkasources/tasks-to-audit#tasks',
      'ce-type': 'dev.knative.kafka.event',
      'ce-subject': 'partition:0#0',
      'ce-time': new Date(Number(timestamp)).toISOString(),
      'ce-key': 'key-0',
      'ce-partitionkey': 'key-0',
      'ce-kafkaheaderxcustom': 'hello',
      'ce-knativekafkapartition': '0',
      'ce-knativekafkaoffset': '0',
      'content-type': 'application/json',
    })
    expect(Buffer.from(message.body)).toEqual(record.value)
  })

  it('names header extensions kafkaheader + the name lower-cased without characters outside [a-z0-9]', () => {
    const headers = { 'X-Trace_ID.2': Buffer.from('t'), 'Ünïcode-Name': Buffer.from('u'), tenant: 'acme' }
    const decoded = kafkaCodec.decode(plainRecord({ headers }), { knative })
    expect(decoded.ok && decoded.value).toMatchObject({
      kafkaheaderxtraceid2: 't',
      kafkaheaderncodename: 'u',
      kafkaheadertenant: 'acme',
    })
    expect(decoded.ok && decoded.value.datacontenttype).toBeUndefined()
  })

  it('adds no key extensions for a record without a key, and no data for an empty value', () => {
    const decoded = kafkaCodec.decode(plainRecord({ key: null, value: null, headers: {} }), { knative })
    expect(decoded.ok && Object.keys(decoded.value).sort()).toEqual(
      [
        'id',
        'knativekafkaoffset',
        'knativekafkapartition',
        'source',
        'specversion',
        'subject',
        'time',
        'type',
      ].sort(),
    )
  })

  it('uses partition and offset of the record in id, subject and the knative extensions', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.bigInt({ min: 0n, max: 2n ** 62n }), (partition, offset) => {
        const decoded = kafkaCodec.decode(plainRecord({ partition, offset: String(offset) }), { knative })
        expect(decoded.ok && decoded.value).toMatchObject({
          id: `partition:${partition}/offset:${offset}`,
          subject: `partition:${partition}#${offset}`,
          knativekafkapartition: String(partition),
          knativekafkaoffset: String(offset),
        })
      }),
    )
  })

  it('refuses a header that is not UTF-8 instead of corrupting it (eventing-kafka-broker #2732)', () => {
    const decoded = kafkaCodec.decode(plainRecord({ headers: { 'x-bin': Buffer.from([0xff, 0xfe]) } }), {
      knative,
    })
    expect(decoded.ok).toBe(false)
    expect(!decoded.ok && decoded.error).toMatchObject({ code: 'invalid-utf8', field: 'header x-bin' })
    expect(!decoded.ok && decoded.error).toBeInstanceOf(CodecError)
  })

  it('applies ceOverrides last, over every other attribute', () => {
    const decoded = kafkaCodec.decode(plainRecord(), {
      knative: { ...knative, ceOverrides: { team: 'core', subject: 'override' } },
    })
    expect(decoded.ok && decoded.value).toMatchObject({ team: 'core', subject: 'override' })
  })

  it('is only done for a KafkaSource: without the knative option a plain record is not a CloudEvent', () => {
    const decoded = kafkaCodec.decode(plainRecord())
    expect(!decoded.ok && decoded.error.code).toBe('not-cloudevent')
  })
})

describe('Knative KafkaSource on records that are CloudEvents', () => {
  it('keeps the event, adds knativekafkapartition/offset and not the key', () => {
    fc.assert(
      fc.property(
        taskflowEventArb,
        fc.constantFrom<'binary' | 'structured'>('binary', 'structured'),
        (event, mode) => {
          const record = { ...consumed(kafkaCodec.encode(event, { mode }), '42'), partition: 3 }
          const decoded = kafkaCodec.decode(record, { knative })
          expect(decoded).toEqual({
            ok: true,
            value: { ...event, knativekafkapartition: '3', knativekafkaoffset: '42' },
          })
          expect(decoded.ok && 'key' in decoded.value).toBe(false)
        },
      ),
    )
  })

  it('wraps a record whose CloudEvent parsing failed, as Knative does, instead of failing it', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const record = consumed(kafkaCodec.encode(event))
        const { ce_id: _dropped, ...headers } = record.headers!
        const decoded = kafkaCodec.decode({ ...record, headers }, { knative })
        expect(decoded.ok && decoded.value).toMatchObject({
          type: 'dev.knative.kafka.event',
          kafkaheadercespecversion: '1.0',
          kafkaheadercetype: event.type,
          datacontenttype: 'application/json',
        })
      }),
    )
  })
})
