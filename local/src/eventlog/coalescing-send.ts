// Group commit for a producer whose sends go out one at a time (kafkajs' idempotent producer keeps a
// single request in flight per broker): records that arrive while a send is in flight leave together in
// the next send, and each caller is answered with its own positions once that send is acknowledged.
// Without it, many concurrent single-record sends (a KafkaSink receiving one CloudEvent per request)
// queue behind each other at one broker round trip each.
import type { AppendedPosition, AppendRecord } from './types.ts'

type Send = (topic: string, records: readonly AppendRecord[]) => Promise<AppendedPosition[]>

interface Waiting {
  readonly records: readonly AppendRecord[]
  /** The records' value bytes, counted once when the caller arrives. */
  readonly bytes: number
  resolve(positions: AppendedPosition[]): void
  reject(error: unknown): void
}

/** Records in one coalesced send at most (whole callers are never split). */
const maxRecordsPerSend = 1_000
/**
 * Value bytes in one coalesced send at most. A topic's max.message.bytes bounds a whole record batch,
 * not one record: two callers' large records (1 MB dead letters from two sources) joined in one send
 * could exceed it and fail both, where each alone fits. A caller over this goes alone.
 */
const maxBytesPerSend = 256 * 1024

const valueBytes = (records: readonly AppendRecord[]) =>
  records.reduce((total, record) => total + record.value.length, 0)

export function coalescingSend(send: Send): Send {
  const queues = new Map<string, { waiting: Waiting[]; sending: boolean }>()

  async function flush(topic: string, queue: { waiting: Waiting[]; sending: boolean }): Promise<void> {
    queue.sending = true
    while (queue.waiting.length > 0) {
      const batch: Waiting[] = []
      let count = 0
      let bytes = 0
      while (
        queue.waiting.length > 0 &&
        (batch.length === 0 ||
          (count + queue.waiting[0]!.records.length <= maxRecordsPerSend &&
            bytes + queue.waiting[0]!.bytes <= maxBytesPerSend))
      ) {
        const next = queue.waiting.shift()!
        batch.push(next)
        count += next.records.length
        bytes += next.bytes
      }
      try {
        // Callers' records in arrival order: records with one key keep their order in the partition.
        const positions = await send(
          topic,
          batch.flatMap((waiting) => waiting.records),
        )
        let offset = 0
        for (const waiting of batch) {
          waiting.resolve(positions.slice(offset, offset + waiting.records.length))
          offset += waiting.records.length
        }
      } catch (error) {
        for (const waiting of batch) waiting.reject(error)
      }
    }
    queue.sending = false
  }

  return (topic, records) =>
    new Promise<AppendedPosition[]>((resolve, reject) => {
      let queue = queues.get(topic)
      if (!queue) {
        queue = { waiting: [], sending: false }
        queues.set(topic, queue)
      }
      queue.waiting.push({ records, bytes: valueBytes(records), resolve, reject })
      if (!queue.sending) void flush(topic, queue)
    })
}
