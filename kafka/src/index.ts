// The project's only door to Kafka. kafkajs is unmaintained since 2023: everything outside kafka/
// imports from here (functions and types), so replacing the client touches this folder alone.
export type {
  Admin,
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  EachMessagePayload,
  IHeaders,
  Kafka,
  KafkaMessage,
  Producer,
  RetryOptions,
} from 'kafkajs'
export { createAcls, type KafkaAcl } from './acls.ts'
export {
  createTopics,
  describeTopics,
  increasePartitions,
  type NewTopic,
  type TopicState,
  type WaitForBrokersOptions,
  waitForBrokers,
  waitForGroupCoordinator,
  waitForTopicLeaders,
  withAdmin,
} from './admin.ts'
export {
  createKafkaClient,
  defaultRetry,
  type KafkaClientOptions,
  type KafkaSasl,
  type KafkaTls,
  kafkaSaslMechanisms,
} from './client.ts'
export {
  type ConsumedRecord,
  type ConsumerOptions,
  createConsumer,
  decodeHeaders,
  toConsumedRecord,
} from './consumer.ts'
export { murmur2, partitionForKey, toPositive } from './partitioner.ts'
export {
  batchCompression,
  createProducer,
  defaultGzipFromBytes,
  type OutgoingRecord,
  ProduceError,
  type ProducerOptions,
  producerSettings,
  type RecordPosition,
  type RecordProducer,
} from './producer.ts'
