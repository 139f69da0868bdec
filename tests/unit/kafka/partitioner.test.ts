import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey } from '../../../kafka/src/index.ts'

// Values computed with org.apache.kafka.common.utils.Utils.murmur2 from kafka-clients 4.3.1 on the
// UTF-8 bytes of each key, and toPositive(hash) % 12 / % 6 (the Java DefaultPartitioner).
const javaReference: Array<[key: string, hash: number, of12: number, of6: number]> = [
  ['', 275646681, 9, 3],
  ['a', -1563381124, 4, 4],
  ['ab', 316155434, 2, 2],
  ['abc', 479470107, 3, 3],
  ['21', -973932308, 0, 0],
  ['foobar', -790332482, 6, 0],
  ['a-little-bit-long-string', -985981536, 8, 2],
  ['task-123', -1166098069, 7, 1],
  ['0190f5c2-7b1e-7c3a-9d4e-1234567890ab', -1575320326, 10, 4],
  ['héllo wörld ✓', -1290846696, 8, 2],
]

describe('partitionForKey (Kafka default partitioner)', () => {
  it.each(javaReference)('hashes %j like the Java client', (key, hash, of12, of6) => {
    expect(murmur2(new TextEncoder().encode(key))).toBe(hash)
    expect(partitionForKey(key, 12)).toBe(of12)
    expect(partitionForKey(key, 6)).toBe(of6)
  })

  it('treats a string key and its UTF-8 bytes alike', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (key) => {
        expect(partitionForKey(key, 7)).toBe(partitionForKey(Buffer.from(key, 'utf8'), 7))
      }),
    )
  })

  it.each([0, -1, 1.5, Number.NaN])('rejects partition count %s', (count) => {
    expect(() => partitionForKey('k', count)).toThrow(RangeError)
  })
})
