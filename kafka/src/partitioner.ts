// Kafka's default partitioner for keyed records, as the Java client (and kafkajs' v2
// DefaultPartitioner) computes it: toPositive(murmur2(utf8(key))) % partitionCount, over ALL
// partitions of the topic, available or not. Anything that must agree with where a producer put a
// key (the embedded event log, tests predicting a partition) uses this module, which has no kafkajs
// dependency on purpose.

const SEED = 0x9747b28c
const M = 0x5bd1e995
const encoder = new TextEncoder()

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const blocks = length >>> 2
  for (let i = 0; i < blocks; i++) {
    const at = i * 4
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The Java switch falls through from 3 to 1; the same steps written as guards.
  const tail = length & ~3
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) {
    h ^= data[tail]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Utils.toPositive: clears the sign bit (not Math.abs, which differs for negative values). */
export function toPositive(value: number): number {
  return value & 0x7fffffff
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: string | Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`)
  }
  const bytes = typeof key === 'string' ? encoder.encode(key) : key
  return toPositive(murmur2(bytes)) % partitionCount
}
