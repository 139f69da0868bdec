import { describe, expect, it } from 'vitest'
import { batchCompression, defaultGzipFromBytes, type OutgoingRecord } from '../../../kafka/src/index.ts'

const record = (valueBytes: number, headers: Record<string, string> = {}): OutgoingRecord => ({
  key: 'task-1',
  value: Buffer.alloc(valueBytes, 'x'),
  headers,
})

describe('batch compression (adaptive by default)', () => {
  it('sends a small batch uncompressed and gzips one from the threshold on', () => {
    expect(batchCompression([record(700)])).toBe('none')
    expect(batchCompression(Array.from({ length: 20 }, () => record(700)))).toBe('none')
    expect(batchCompression([record(defaultGzipFromBytes)])).toBe('gzip')
    expect(batchCompression(Array.from({ length: 500 }, () => record(700)))).toBe('gzip')
  })

  it('counts keys and headers (in UTF-8 bytes) with the values', () => {
    const headers = { ce_subject: 'é'.repeat(600) }
    expect(batchCompression([record(500)], 'adaptive', 1_500)).toBe('none')
    expect(batchCompression([record(500, headers)], 'adaptive', 1_500)).toBe('gzip')
  })

  it('keeps a fixed codec when one is asked for', () => {
    expect(batchCompression([record(10)], 'gzip')).toBe('gzip')
    expect(batchCompression([record(defaultGzipFromBytes * 2)], 'none')).toBe('none')
  })
})
