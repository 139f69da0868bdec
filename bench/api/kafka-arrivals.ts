// Watches a topic (from its end, or from its start to read what a run wrote) with a group of its own
// and notes, by each record's `ce_subject` header
// (the task id), when the broker appended it and when it became visible to a consumer. The append time
// is the record's timestamp on a topic with message.timestamp.type=LogAppendTime (the broker stamps it
// as it writes the record to its log): the 201 -> on Kafka latency, free of this consumer's own fetch
// and event-loop delays. Visible to a consumer is what matters downstream and bounds it from above.
import { randomUUID } from 'node:crypto'
import { createConsumer, createKafkaClient } from '../../kafka/src/index.ts'
import { epochMs } from './clock.ts'

export interface KafkaArrivals {
  /** First arrival time (epoch ms) by subject. */
  readonly arrivals: ReadonlyMap<string, number>
  /** The record's timestamp (epoch ms) by subject: the broker's append time on a LogAppendTime topic. */
  readonly appended: ReadonlyMap<string, number>
  stop(): Promise<void>
}

export async function watchKafkaArrivals(
  brokers: string[],
  topic: string,
  options: { fromBeginning?: boolean } = {},
): Promise<KafkaArrivals> {
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-bench-api-watch' })
  // A short fetch wait: an empty fetch must not hold the next record back (records end it anyway).
  const consumer = createConsumer(kafka, { groupId: `bench-watch-${randomUUID()}`, maxWaitTimeMs: 100 })
  const arrivals = new Map<string, number>()
  const appended = new Map<string, number>()
  await consumer.connect()
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? false })
    await consumer.run({
      partitionsConsumedConcurrently: 12,
      eachBatch: async ({ batch }) => {
        const at = epochMs()
        for (const message of batch.messages) {
          const subject = message.headers?.ce_subject?.toString()
          if (subject === undefined || arrivals.has(subject)) continue
          arrivals.set(subject, at)
          appended.set(subject, Number(message.timestamp))
        }
      },
    })
    await joined
  } catch (error) {
    await consumer.disconnect().catch(() => {})
    throw error
  }
  return { arrivals, appended, stop: () => consumer.disconnect() }
}
