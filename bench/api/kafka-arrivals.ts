// Watches a topic from its end with a group of its own and notes when each record became visible to a
// consumer, by its `ce_subject` header (the task id): the 201 -> on Kafka part of the latency. Visible
// to a consumer is what matters downstream, and it bounds the broker's append from above.
import { randomUUID } from 'node:crypto'
import { createConsumer, createKafkaClient } from '../../kafka/src/index.ts'
import { epochMs } from './clock.ts'

export interface KafkaArrivals {
  /** First arrival time (epoch ms) by subject. */
  readonly arrivals: ReadonlyMap<string, number>
  stop(): Promise<void>
}

export async function watchKafkaArrivals(brokers: string[], topic: string): Promise<KafkaArrivals> {
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-bench-api-watch' })
  // A short fetch wait: an empty fetch must not hold the next record back (records end it anyway).
  const consumer = createConsumer(kafka, { groupId: `bench-watch-${randomUUID()}`, maxWaitTimeMs: 100 })
  const arrivals = new Map<string, number>()
  await consumer.connect()
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
    await consumer.subscribe({ topics: [topic], fromBeginning: false })
    await consumer.run({
      partitionsConsumedConcurrently: 12,
      eachBatch: async ({ batch }) => {
        const at = epochMs()
        for (const message of batch.messages) {
          const subject = message.headers?.ce_subject?.toString()
          if (subject !== undefined && !arrivals.has(subject)) arrivals.set(subject, at)
        }
      },
    })
    await joined
  } catch (error) {
    await consumer.disconnect().catch(() => {})
    throw error
  }
  return { arrivals, stop: () => consumer.disconnect() }
}
