import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs'
import { limitFetchedRecords } from './fetch-record-limit.ts'

export type ConsumerOptions = {
  groupId: string
  /** Kafka's default is 45 s; a shorter one lets tests notice a departed member sooner. */
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  /** How long a fetch waits for data; kafkajs defaults to 5 s. */
  maxWaitTimeMs?: number
  /** Bytes a fetch takes per partition (the broker still returns a larger first batch whole); kafkajs: 1 MiB. */
  maxBytesPerPartition?: number
  /**
   * Records a fetch should decode per partition, about: the bytes per partition go down for batches
   * that decompress to many more (fetch-record-limit.ts), never above maxBytesPerPartition.
   */
  maxRecordsPerPartition?: number
}

const kafkajsMaxBytesPerPartition = 1024 * 1024
/** A record batch larger than this still comes whole: the floor only stops the bytes going to nothing. */
const minBytesPerPartition = 8 * 1024

/** A record as the rest of the project sees it: header values decoded as UTF-8. */
export type ConsumedRecord = {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
  timestamp: string
}

/** A group member; auto topic creation stays off, as on the brokers (topics come from YAML). */
export function createConsumer(kafka: Kafka, options: ConsumerOptions): Consumer {
  if (options.groupId.trim() === '') throw new TypeError('createConsumer needs a non-empty groupId')
  const maxBytesPerPartition = options.maxBytesPerPartition ?? kafkajsMaxBytesPerPartition
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
    maxBytesPerPartition,
  })
  if (options.maxRecordsPerPartition !== undefined) {
    const release = limitFetchedRecords(options.groupId, {
      records: options.maxRecordsPerPartition,
      maxBytes: maxBytesPerPartition,
      minBytes: Math.min(minBytesPerPartition, maxBytesPerPartition),
    })
    consumer.on(consumer.events.DISCONNECT, release)
  }
  return consumer
}

/**
 * Kafka allows a header name to repeat; CloudEvents' Kafka binding gives each attribute one
 * header, so for a repeated name the last value wins, as it would when a map is built in order.
 */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {}
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw.at(-1) : raw
    if (value !== undefined) decoded[name] = value.toString()
  }
  return decoded
}

export function toConsumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString(),
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: message.timestamp,
  }
}
