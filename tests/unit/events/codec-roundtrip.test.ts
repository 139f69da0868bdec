import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CloudEventRecord,
  type ContentMode,
  httpCodec,
  kafkaCodec,
  parseEvent,
} from '../../../events/src/index.ts'
import { cloudEventRecordArb, taskflowEventArb } from '../../support/event-arbitraries.ts'
import { consumed } from './consumed-record.ts'

const modes: ContentMode[] = ['binary', 'structured']

describe.each(modes)('Kafka codec, %s mode', (mode) => {
  it('decodes every taskflow event it encoded to the same event', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const decoded = kafkaCodec.decode(consumed(kafkaCodec.encode(event, { mode })))
        expect(decoded).toEqual({ ok: true, value: event })
        expect(decoded.ok && parseEvent(decoded.value)).toEqual({ ok: true, value: event })
      }),
    )
  })

  it('carries any CloudEvent unchanged, foreign types, extensions and non-JSON data included', () => {
    fc.assert(
      fc.property(cloudEventRecordArb, (event) => {
        expect(kafkaCodec.decode(consumed(kafkaCodec.encode(event, { mode })))).toEqual({
          ok: true,
          value: event,
        })
      }),
    )
  })

  it('keys the record by partitionkey so one task stays in one partition', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        expect(kafkaCodec.encode(event, { mode }).key).toBe(event.partitionkey)
      }),
    )
  })
})

describe('Kafka codec headers', () => {
  it('writes binary-mode attributes as ce_* strings, never undefined, with content-type for the value', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const { headers, value } = kafkaCodec.encode(event)
        expect(Object.values(headers).every((header) => typeof header === 'string')).toBe(true)
        expect(headers['content-type']).toBe('application/json')
        expect(headers.ce_id).toBe(event.id)
        expect(headers.ce_datacontenttype).toBeUndefined()
        expect(JSON.parse(value.toString('utf8'))).toEqual(event.data)
      }),
    )
  })

  it('writes structured mode as the whole event under application/cloudevents+json', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const { headers, value } = kafkaCodec.encode(event, { mode: 'structured' })
        expect(headers).toEqual({ 'content-type': 'application/cloudevents+json' })
        expect(JSON.parse(value.toString('utf8'))).toEqual(event)
      }),
    )
  })

  it('tells CloudEvent records from plain ones', () => {
    fc.assert(
      fc.property(taskflowEventArb, fc.constantFrom(...modes), (event, mode) => {
        expect(kafkaCodec.isEvent(consumed(kafkaCodec.encode(event, { mode })))).toBe(true)
        const plain = {
          ...consumed(kafkaCodec.encode(event)),
          headers: { 'content-type': Buffer.from('application/json') },
        }
        expect(kafkaCodec.isEvent(plain)).toBe(false)
      }),
    )
  })
})

describe.each(modes)('HTTP codec, %s mode', (mode) => {
  it('decodes every taskflow event it encoded to the same event', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const decoded = httpCodec.decode(httpCodec.encode(event, { mode }))
        expect(decoded).toEqual({ ok: true, value: event })
        expect(decoded.ok && parseEvent(decoded.value)).toEqual({ ok: true, value: event })
      }),
    )
  })

  it('carries any CloudEvent unchanged, also when the body arrives as bytes', () => {
    fc.assert(
      fc.property(cloudEventRecordArb, (event: CloudEventRecord) => {
        const message = httpCodec.encode(event, { mode })
        expect(httpCodec.decode(message)).toEqual({ ok: true, value: event })
        const asBytes = { headers: message.headers, body: Buffer.from(message.body) }
        expect(httpCodec.decode(asBytes)).toEqual({ ok: true, value: event })
      }),
    )
  })
})

describe('HTTP codec headers', () => {
  it('percent-encodes ce-* header values to printable ASCII without space, as the binding requires', () => {
    fc.assert(
      fc.property(cloudEventRecordArb, (event) => {
        for (const [name, value] of Object.entries(httpCodec.encode(event).headers)) {
          if (name.startsWith('ce-')) expect(value).toMatch(/^(?:[\x21\x23\x24\x26-\x7e]|%[0-9A-F]{2})*$/)
        }
      }),
    )
  })
})

describe('HTTP header value encoding', () => {
  it('follows the binding example: "Euro € 😀" travels as Euro%20%E2%82%AC%20%F0%9F%98%80', () => {
    const event = { specversion: '1.0', id: '1', source: 's', type: 't', actor: 'Euro € 😀' }
    expect(httpCodec.encode(event).headers['ce-actor']).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80')
    const lowerCase = {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': 's',
      'ce-type': 't',
      'ce-actor': 'Euro%20%e2%82%ac',
    }
    expect(httpCodec.decode({ headers: lowerCase, body: undefined })).toMatchObject({
      ok: true,
      value: { actor: 'Euro €' },
    })
  })

  it('accepts the double-quoted values older senders used', () => {
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': 's',
      'ce-type': 't',
      'ce-actor': '"ann \\"a\\""',
    }
    expect(httpCodec.decode({ headers, body: undefined })).toMatchObject({
      ok: true,
      value: { actor: 'ann "a"' },
    })
  })
})
