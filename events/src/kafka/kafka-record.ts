/** A consumed record, in the shape kafkajs hands over (`eachMessage` / `eachBatch` plus the topic and partition). */
export type KafkaRecordIn = {
  topic: string
  partition: number
  offset: string
  timestamp: string
  key: Buffer | string | null
  value: Buffer | string | null
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

/** A record to produce, in the shape the kafkajs producer accepts; header values are always strings. */
export type KafkaRecordOut = { key: string | null; value: Buffer; headers: Record<string, string> }

export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined
