import type {
  BatchContext,
  EventLog,
  GroupConsumer,
  GroupConsumerOptions,
  LogRecord,
  PartitionBatch,
} from '../../../../local/src/eventlog/types.ts'

// Test helpers shared by the event-log suites: a consumer that records what it received.

export { eventually } from '../../../support/eventually.ts'

export interface RecordingConsumer {
  readonly consumer: GroupConsumer
  readonly received: LogRecord[]
  /** Received records of one partition, in delivery order. */
  inPartition(topic: string, partition: number): LogRecord[]
}

export type BatchHandler = (batch: PartitionBatch, context: BatchContext) => Promise<void>

/** Resolves every record as soon as it is received (a sink that always answers 2xx). */
export const resolveAll: BatchHandler = async (batch, context) => {
  for (const record of batch.records) context.resolveOffset(record.offset)
}

export async function startRecordingConsumer(
  log: EventLog,
  options: GroupConsumerOptions,
  handler: BatchHandler = resolveAll,
  partitionsConsumedConcurrently = 4,
): Promise<RecordingConsumer> {
  const consumer = log.consumer(options)
  const received: LogRecord[] = []
  await consumer.run({
    partitionsConsumedConcurrently,
    async eachBatch(batch, context) {
      received.push(...batch.records)
      await handler(batch, context)
    },
  })
  return {
    consumer,
    received,
    inPartition: (topic, partition) =>
      received.filter((record) => record.topic === topic && record.partition === partition),
  }
}

export const text = (record: LogRecord): string => record.value?.toString() ?? ''
