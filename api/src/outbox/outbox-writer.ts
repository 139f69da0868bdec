// Writes a CloudEvent into the outbox inside the caller's transaction: the event exists exactly when
// the task change it describes committed (the transactional outbox pattern).
import type { Insertable, Transaction } from 'kysely'
import { type CloudEventRecord, kafkaCodec, type TaskflowEvent } from '../../../events/src/index.ts'
import type { OutboxTable, TasksDatabase } from '../database.ts'
import { laneOf } from './lanes.ts'

export async function enqueueEvent(
  trx: Transaction<TasksDatabase>,
  topic: string,
  event: TaskflowEvent,
): Promise<void> {
  await trx.insertInto('tasks.outbox').values(outboxRow(topic, event)).execute()
}

/**
 * The outbox row of an event. Binary mode: attributes as ce_* headers, the JSON data as the value (what
 * Knative's KafkaSource turns back into the same CloudEvent).
 */
export function outboxRow(topic: string, event: TaskflowEvent): Insertable<OutboxTable> {
  // TaskflowEvent is an interface without an index signature, so TypeScript does not see it as the
  // CloudEventRecord the codec takes, although every TaskflowEvent is one.
  const record = kafkaCodec.encode(event as unknown as CloudEventRecord, { mode: 'binary' })
  return {
    event_id: event.id,
    lane: laneOf(record.key ?? event.id),
    topic,
    key: record.key,
    headers: JSON.stringify(record.headers),
    value: record.value,
  }
}
