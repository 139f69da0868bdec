// The local event log: pick a backend by configuration (KAFKA_BROKERS set -> Kafka, else embedded)
// and use it through the EventLog interface only.

export {
  createEmbeddedEventLog,
  type EmbeddedEventLog,
  type EmbeddedEventLogOptions,
  eventLogMigrations,
} from './embedded-log.ts'
export { readTopic as readEmbeddedTopic } from './embedded-store.ts'
export { EventLogError, type EventLogErrorCode } from './errors.ts'
export { createKafkaEventLog, type KafkaEventLog, type KafkaEventLogOptions } from './kafka-log.ts'
export type * from './types.ts'
