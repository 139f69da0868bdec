// The records every throughput benchmark uses, as in the Knative measurement the figures are compared
// with: 228-byte JSON values, CloudEvents in Kafka binary mode (attributes in `ce_` headers).
import type { OutgoingRecord } from '../../../kafka/src/index.ts'

export const recordValueBytes = 228

/** Record i of a run: a task-event-like JSON body padded to exactly 228 bytes. */
export function benchRecord(index: number): OutgoingRecord {
  const id = `bench-${index.toString(36).padStart(8, '0')}`
  const body = {
    taskId: `task-${index % 1000}`,
    title: 'benchmark task',
    status: 'open',
    seq: index,
    pad: '',
  }
  const unpadded = Buffer.byteLength(JSON.stringify(body))
  body.pad = 'x'.repeat(Math.max(0, recordValueBytes - unpadded))
  return {
    key: `task-${index % 1000}`,
    value: Buffer.from(JSON.stringify(body)),
    headers: {
      ce_specversion: '1.0',
      ce_id: id,
      ce_source: '/taskflow/bench',
      ce_type: 'dev.taskflow.bench.v1',
      ce_time: '2026-01-01T00:00:00.000Z',
      'content-type': 'application/json',
    },
  }
}

/** Records [from, from + count) in batches of `batchSize`. */
export function* benchRecordBatches(count: number, batchSize: number, from = 0): Generator<OutgoingRecord[]> {
  for (let start = from; start < from + count; start += batchSize) {
    const end = Math.min(from + count, start + batchSize)
    const batch: OutgoingRecord[] = []
    for (let i = start; i < end; i++) batch.push(benchRecord(i))
    yield batch
  }
}
