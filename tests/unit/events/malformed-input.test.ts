import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError, httpCodec, type KafkaRecordIn, kafkaCodec } from '../../../events/src/index.ts'
import { taskflowEventArb } from '../../support/event-arbitraries.ts'
import { consumed } from './consumed-record.ts'

const invalidUtf8 = Buffer.from([0xc0, 0xa0]) // an overlong encoding of a space

function expectCodecError(result: { ok: boolean; error?: unknown }, code: string, field?: string): void {
  expect(result.ok).toBe(false)
  expect(result.error).toBeInstanceOf(CodecError)
  expect((result.error as CodecError).code).toBe(code)
  if (field !== undefined) expect((result.error as CodecError).field).toBe(field)
}

function binaryRecord(event: Parameters<typeof kafkaCodec.encode>[0]): KafkaRecordIn {
  return consumed(kafkaCodec.encode(event))
}

function without(record: KafkaRecordIn, header: string): KafkaRecordIn {
  const { [header]: _dropped, ...headers } = record.headers ?? {}
  return { ...record, headers }
}

const requiredHeader = fc.constantFrom('ce_id', 'ce_source', 'ce_type')

describe('Kafka codec on malformed records', () => {
  it('names the missing required attribute', () => {
    fc.assert(
      fc.property(taskflowEventArb, requiredHeader, (event, header) => {
        expectCodecError(
          kafkaCodec.decode(without(binaryRecord(event), header)),
          'missing-attribute',
          header.slice(3),
        )
      }),
    )
  })

  it('does not read a record without ce_specversion as a CloudEvent', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        expectCodecError(kafkaCodec.decode(without(binaryRecord(event), 'ce_specversion')), 'not-cloudevent')
      }),
    )
  })

  it('refuses a header that is not UTF-8 and names it', () => {
    fc.assert(
      fc.property(taskflowEventArb, fc.constantFrom('ce_id', 'ce_actor', 'content-type'), (event, header) => {
        const record = binaryRecord({ ...event, actor: 'someone' })
        const corrupted = { ...record, headers: { ...record.headers, [header]: invalidUtf8 } }
        expectCodecError(kafkaCodec.decode(corrupted), 'invalid-utf8', `header ${header}`)
      }),
    )
  })

  it('refuses a value larger than the limit before reading it', () => {
    fc.assert(
      fc.property(
        taskflowEventArb,
        fc.constantFrom<'binary' | 'structured'>('binary', 'structured'),
        (event, mode) => {
          const record = consumed(kafkaCodec.encode(event, { mode }))
          expectCodecError(
            kafkaCodec.decode(record, { maxValueBytes: record.value!.length - 1 }),
            'too-large',
            'value',
          )
          expect(kafkaCodec.decode(record, { maxValueBytes: record.value!.length }).ok).toBe(true)
        },
      ),
    )
  })

  it('refuses a JSON value that does not parse, in either mode', () => {
    fc.assert(
      fc.property(
        taskflowEventArb,
        fc.constantFrom<'binary' | 'structured'>('binary', 'structured'),
        (event, mode) => {
          const record = consumed(kafkaCodec.encode(event, { mode }))
          const truncated = {
            ...record,
            value: (record.value as Buffer).subarray(0, record.value!.length - 1),
          }
          expectCodecError(kafkaCodec.decode(truncated), 'invalid-json')
        },
      ),
    )
  })

  it('refuses specversions other than 1.0, an invalid time and an invalid attribute name', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const record = binaryRecord(event)
        const headers = record.headers!
        expectCodecError(
          kafkaCodec.decode({ ...record, headers: { ...headers, ce_specversion: '0.3' } }),
          'invalid-attribute',
          'specversion',
        )
        expectCodecError(
          kafkaCodec.decode({ ...record, headers: { ...headers, ce_time: 'yesterday' } }),
          'invalid-attribute',
          'time',
        )
        expectCodecError(
          kafkaCodec.decode({ ...record, headers: { ...headers, 'ce_bad-name': 'x' } }),
          'invalid-attribute',
          'bad-name',
        )
      }),
    )
  })

  it('refuses structured events in a format other than JSON', () => {
    const record = { ...binaryRecord({ specversion: '1.0', id: '1', source: 's', type: 't' }) }
    const avro = { ...record, headers: { 'content-type': Buffer.from('application/cloudevents+avro') } }
    expectCodecError(kafkaCodec.decode(avro), 'unsupported-format', 'content-type')
  })

  it('refuses a structured value that is JSON but not an event object', () => {
    for (const value of [
      '[1,2]',
      '"text"',
      'null',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","ext":{"a":1}}',
    ]) {
      const record: KafkaRecordIn = {
        topic: 't',
        partition: 0,
        offset: '0',
        timestamp: '0',
        key: null,
        value: Buffer.from(value),
        headers: { 'content-type': Buffer.from('application/cloudevents+json; charset=utf-8') },
      }
      expect(kafkaCodec.decode(record).ok).toBe(false)
    }
  })

  it('returns a CodecError for arbitrary records and never throws, with or without Knative wrapping', () => {
    const headerName = fc.oneof(
      fc.constantFrom(
        'content-type',
        'ce_specversion',
        'ce_id',
        'ce_source',
        'ce_type',
        'ce_time',
        'ce_x',
        'CE_Id',
      ),
      fc.string({ maxLength: 12 }),
    )
    const bytesOrText = fc.oneof(
      fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom('1.0', 'application/cloudevents+json', 'application/json', 'text/plain', ''),
      fc.string({ maxLength: 16 }),
    )
    const headerValue = fc.oneof(bytesOrText, fc.array(bytesOrText, { maxLength: 2 }), fc.constant(undefined))
    const record: fc.Arbitrary<KafkaRecordIn> = fc.record({
      topic: fc.string({ minLength: 1, maxLength: 8 }),
      partition: fc.nat(64),
      offset: fc.bigInt({ min: 0n, max: 2n ** 62n }).map(String),
      timestamp: fc.oneof(fc.nat().map(String), fc.string({ maxLength: 4 })),
      key: fc.option(bytesOrText, { nil: null }),
      value: fc.option(
        fc.oneof(
          bytesOrText,
          fc.json().map((json) => Buffer.from(json)),
        ),
        { nil: null },
      ),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
    })
    fc.assert(
      fc.property(record, (input) => {
        for (const opts of [undefined, { knative: { namespace: 'ns', sourceName: 'src' } }]) {
          const result = kafkaCodec.decode(input, opts)
          if (result.ok) {
            expect(result.value.specversion).toBe('1.0')
            expect(typeof result.value.id === 'string' && result.value.id !== '').toBe(true)
          } else {
            expect(result.error).toBeInstanceOf(CodecError)
          }
        }
        kafkaCodec.isEvent(input)
      }),
      { numRuns: 500 },
    )
  })
})

describe('HTTP codec on malformed messages', () => {
  it('names the missing required attribute', () => {
    fc.assert(
      fc.property(taskflowEventArb, fc.constantFrom('ce-id', 'ce-source', 'ce-type'), (event, header) => {
        const { [header]: _dropped, ...headers } = httpCodec.encode(event).headers
        expectCodecError(
          httpCodec.decode({ headers, body: JSON.stringify(event.data) }),
          'missing-attribute',
          header.slice(3),
        )
      }),
    )
  })

  it('rejects percent-encoded bytes that are not UTF-8 (binding 3.1.3.2: overlong %C0%A0)', () => {
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': 's',
      'ce-type': 't',
      'ce-actor': 'a%C0%A0',
    }
    expectCodecError(httpCodec.decode({ headers, body: undefined }), 'invalid-utf8', 'header ce-actor')
    expectCodecError(
      httpCodec.decode({ headers: { ...headers, 'ce-actor': 'a%G1' }, body: undefined }),
      'invalid-attribute',
      'actor',
    )
  })

  it('refuses a message that is not a CloudEvent, a batch, and a body that is not JSON', () => {
    expectCodecError(
      httpCodec.decode({ headers: { 'content-type': 'application/json' }, body: '{}' }),
      'not-cloudevent',
    )
    expectCodecError(
      httpCodec.decode({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' }),
      'unsupported-format',
    )
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': 's',
      'ce-type': 't',
      'content-type': 'application/json',
    }
    expectCodecError(httpCodec.decode({ headers, body: '{"a":' }), 'invalid-json', 'data')
    expectCodecError(httpCodec.decode({ headers, body: invalidUtf8 }), 'invalid-utf8', 'data')
    expect(httpCodec.isEvent({ headers, body: '{}' })).toBe(true)
  })

  it('returns a CodecError for arbitrary messages and never throws', () => {
    const value = fc.oneof(
      fc.constantFrom('1.0', 'application/cloudevents+json', 'application/json', '%', '"x"', '%E2%82'),
      fc.string({ maxLength: 16 }),
    )
    const name = fc.oneof(
      fc.constantFrom('content-type', 'ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time'),
      fc.string({ maxLength: 10 }),
    )
    const message = fc.record({
      headers: fc.dictionary(
        name,
        fc.oneof(value, fc.array(value, { maxLength: 2 }), fc.constant(undefined)),
        { maxKeys: 6 },
      ),
      body: fc.oneof(
        fc.constant(undefined),
        fc.string(),
        fc.json(),
        fc.uint8Array().map((bytes) => Buffer.from(bytes)),
      ),
    })
    fc.assert(
      fc.property(message, (input) => {
        const result = httpCodec.decode(input)
        if (!result.ok) expect(result.error).toBeInstanceOf(CodecError)
        else expect(result.value.specversion).toBe('1.0')
      }),
      { numRuns: 500 },
    )
  })
})
