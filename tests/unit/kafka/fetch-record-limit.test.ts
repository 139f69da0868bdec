import { describe, expect, it } from 'vitest'
import { nextPartitionBytes } from '../../../kafka/src/fetch-record-limit.ts'

// Issue 18: a consumer's bytes per partition follow the records a fetch decodes, so a gzipped backlog
// does not decode ~10x more records per fetch than a plain one.

const limit = { records: 1_000, maxBytes: 256 * 1024, minBytes: 8 * 1024 }

describe('bytes per partition for the next fetch', () => {
  it('go down in proportion when a partition decoded more records than the limit', () => {
    expect(nextPartitionBytes(256 * 1024, [{ records: 11_000, more: true }], limit)).toBe(
      Math.floor((256 * 1024 * 1_000) / 11_000),
    )
  })

  it('never below the floor, never above the configured bytes', () => {
    expect(nextPartitionBytes(8 * 1024, [{ records: 50_000, more: true }], limit)).toBe(8 * 1024)
    expect(nextPartitionBytes(200 * 1024, [{ records: 10, more: true }], limit)).toBe(256 * 1024)
  })

  it('double while a partition with more to read came back with under half the limit', () => {
    expect(
      nextPartitionBytes(
        8 * 1024,
        [
          { records: 20, more: true },
          { records: 900, more: false },
        ],
        limit,
      ),
    ).toBe(16 * 1024)
  })

  it('stay when the fetch read partitions to their end, or near the limit, or nothing', () => {
    expect(nextPartitionBytes(64 * 1024, [{ records: 30, more: false }], limit)).toBe(64 * 1024)
    expect(nextPartitionBytes(64 * 1024, [{ records: 800, more: true }], limit)).toBe(64 * 1024)
    expect(nextPartitionBytes(64 * 1024, [], limit)).toBe(64 * 1024)
  })
})
