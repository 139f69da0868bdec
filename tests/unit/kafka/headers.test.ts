import { describe, expect, it } from 'vitest'
import { decodeHeaders, toConsumedRecord } from '../../../kafka/src/index.ts'

describe('consumed record decoding', () => {
  it('decodes header buffers as UTF-8 and keeps the last of a repeated name', () => {
    expect(
      decodeHeaders({
        ce_id: Buffer.from('é1'),
        ce_type: 'plain',
        repeated: [Buffer.from('a'), Buffer.from('b')],
        gone: undefined,
      }),
    ).toEqual({ ce_id: 'é1', ce_type: 'plain', repeated: 'b' })
  })

  it('keeps a null key null and the value as bytes', () => {
    const record = toConsumedRecord('t', 2, {
      key: null,
      value: Buffer.from([1, 2]),
      offset: '7',
      timestamp: '1700000000000',
      attributes: 0,
      headers: {},
    })
    expect(record).toEqual({
      topic: 't',
      partition: 2,
      offset: '7',
      key: null,
      value: Buffer.from([1, 2]),
      headers: {},
      timestamp: '1700000000000',
    })
  })
})
