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
