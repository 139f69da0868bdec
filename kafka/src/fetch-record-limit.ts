// kafkajs sizes a fetch in bytes per partition, and for gzipped record batches those are compressed
// bytes: task events gzip ~14:1, so a 256 KiB fetch of a backlog the relay gzipped decodes ~11,000
// records per partition, all at once (kafkajs decodes a response eagerly; Java's consumer decodes per
// poll). A dispatcher then held the whole fetch decoded, ~930 MB on 12 partitions (bench/README.md,
// dispatch). This keeps a consumer's bytes per partition where a fetch decodes about `records` per
// partition: starting low, raised (up to the configured bytes) while partitions with more to read come
// back with much less, lowered when a fetch decoded more. kafkajs has no hook for it, so its consumer
// group's fetch is wrapped, for the groups that ask only; kafkajs is pinned (2.2.4, unmaintained).
import { createRequire } from 'node:module'

/** What a fetch returned for one partition: records decoded, and whether the partition has more. */
export type FetchedPartition = { readonly records: number; readonly more: boolean }

export type RecordLimit = {
  /** Records a fetch should decode per partition, about. */
  readonly records: number
  /** The bytes per partition never go above (the consumer's configured maxBytesPerPartition)... */
  readonly maxBytes: number
  /** ...nor below (Kafka still returns a first record batch larger than the limit whole). */
  readonly minBytes: number
}

/** The bytes per partition for the next fetch, from what the last one decoded. */
export function nextPartitionBytes(
  bytes: number,
  fetched: readonly FetchedPartition[],
  limit: RecordLimit,
): number {
  let most = 0
  let cutShort = false
  for (const partition of fetched) {
    most = Math.max(most, partition.records)
    if (partition.more && partition.records < limit.records / 2) cutShort = true
  }
  if (most > limit.records) return Math.max(limit.minBytes, Math.floor((bytes * limit.records) / most))
  if (cutShort) return Math.min(limit.maxBytes, bytes * 2)
  return bytes
}

type KafkajsBatch = { messages: readonly unknown[]; offsetLag(): string }
type KafkajsConsumerGroup = {
  groupId: string
  maxBytesPerPartition: number
  fetch(nodeId: number): Promise<KafkajsBatch[]>
}

const limits = new Map<string, { limit: RecordLimit; consumers: number }>()
const bytesOf = new WeakMap<KafkajsConsumerGroup, number>()
let wrapped = false

/**
 * Limits the records each fetch of group `groupId`'s consumers in this process decodes per partition.
 * Returns the release (call it when the consumer disconnects).
 */
export function limitFetchedRecords(groupId: string, limit: RecordLimit): () => void {
  wrapConsumerGroupFetch()
  const entry = limits.get(groupId)
  if (entry) entry.consumers++
  else limits.set(groupId, { limit, consumers: 1 })
  let released = false
  return () => {
    if (released) return
    released = true
    const current = limits.get(groupId)
    if (current && --current.consumers === 0) limits.delete(groupId)
  }
}

function wrapConsumerGroupFetch(): void {
  if (wrapped) return
  wrapped = true
  // The module kafkajs' own consumer requires: the same instance, so its prototype is the one in use.
  const ConsumerGroup = createRequire(import.meta.url)('kafkajs/src/consumer/consumerGroup.js') as {
    prototype: KafkajsConsumerGroup
  }
  const fetch = ConsumerGroup.prototype.fetch
  ConsumerGroup.prototype.fetch = async function (this: KafkajsConsumerGroup, nodeId: number) {
    const limit = limits.get(this.groupId)?.limit
    if (limit === undefined) return fetch.call(this, nodeId)
    // From the floor up: a first fetch at the full bytes could decode a whole gzipped backlog at once.
    const bytes = bytesOf.get(this) ?? limit.minBytes
    this.maxBytesPerPartition = bytes
    const batches = await fetch.call(this, nodeId)
    const fetched = batches.map((batch) => ({
      records: batch.messages.length,
      more: Number(batch.offsetLag()) > 0,
    }))
    bytesOf.set(this, nextPartitionBytes(bytes, fetched, limit))
    return batches
  }
}
