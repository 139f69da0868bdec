// Defaults both backends share, taken from Knative's KafkaSource dispatcher configuration.

/** Knative's dispatcher commits resolved offsets every 5 s. */
export const defaultCommitIntervalMs = 5_000
/** Upper bound of records handed to one batch (Kafka's max.poll.records default is 500). */
export const defaultMaxBatchRecords = 500
/** Knative's consumer config: session.timeout.ms=10000, heartbeat.interval.ms=3000. */
export const defaultSessionTimeoutMs = 10_000
export const defaultHeartbeatIntervalMs = 3_000
/**
 * Kafka backend: a batch still running after this long lets kafkajs fetch the other partitions again
 * (kafka-consumer.ts). Above a healthy batch's time at a steady rate, far below a sink retry's backoff.
 */
export const defaultDetachAfterMs = 50
/**
 * Kafka backend: bytes a fetch takes per partition. Below kafkajs' 1 MiB a dispatcher holds fewer decoded
 * records at once, at the same speed; Knative's 64 KiB halved the ordered speed (bench/README.md, dispatch).
 */
export const defaultMaxBytesPerPartition = 256 * 1024
/**
 * Kafka backend: records a fetch decodes per partition, about. Bounds a dispatcher's memory when a
 * backlog comes gzipped (the byte limit counts compressed bytes); a plain fetch of 256 KiB stays below.
 */
export const defaultMaxRecordsPerPartition = 1_000
