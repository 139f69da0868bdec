import type { Logger } from 'pino'
import {
  createKafkaClient,
  createProducer,
  type KafkaSasl,
  type KafkaTls,
  type RecordProducer,
} from '../../../kafka/src/index.ts'
import type { Publisher } from './publisher.ts'

export type KafkaPublisher = Publisher & { close(): Promise<void> }

/**
 * The relay's Kafka door. Sends retry only briefly inside kafkajs: the relay owns the long retry (with
 * backoff, and the rows stay in the outbox meanwhile), so a dead broker fails a send in seconds and
 * readiness can report it.
 */
export function createKafkaPublisher(options: {
  brokers: string[]
  clientId: string
  /** The cluster's login (SCRAM-SHA-512 as the KafkaUser task-api); absent for a local broker. */
  sasl?: KafkaSasl | undefined
  /** TLS with the cluster CA; absent for a local broker. */
  ssl?: KafkaTls | undefined
  logger: Logger
}): KafkaPublisher {
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    logger: options.logger.child({ component: 'kafka' }),
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  })
  let producer: RecordProducer | undefined
  let connecting: Promise<RecordProducer> | undefined

  async function connected(): Promise<RecordProducer> {
    if (producer !== undefined) return producer
    connecting ??= (async () => {
      const created = createProducer(kafka, {
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      })
      try {
        await created.connect()
      } catch (error) {
        await created.disconnect().catch(() => {})
        throw error
      }
      producer = created
      return created
    })().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  return {
    async publish(topic, records) {
      const target = await connected()
      try {
        await target.send(topic, records)
      } catch (error) {
        // Start the next attempt from a fresh connection and producer id: kafkajs can keep a broken
        // connection or a stale sequence after the broker restarted. The relay resends the whole
        // batch in order, so a new producer id costs at most duplicates, never reordering.
        if (producer === target) producer = undefined
        await target.disconnect().catch(() => {})
        throw error
      }
    },
    async close() {
      const current = producer ?? (await connecting?.catch(() => undefined))
      producer = undefined
      await current?.disconnect()
    },
  }
}
