// Writes a CloudEvent into the outbox inside the caller's transaction: the event exists exactly when
// the task change it describes committed (the transactional outbox pattern).
import type { Transaction } from 'kysely'
import { type CloudEventRecord, kafkaCodec, type TaskflowEvent } from '../../../events/src/index.ts'
import type { TasksDatabase } from '../database.ts'
import { laneOf } from './lanes.ts'

export async function enqueueEvent(
  trx: Transaction<TasksDatabase>,
  topic: string,
  event: TaskflowEvent,
): Promise<void> {
  // Binary mode: attributes as ce_* headers, the JSON data as the value (what Knative's KafkaSource
  // turns back into the same CloudEvent).
  // TaskflowEvent is an interface without an index signature, so TypeScript does not see it as the
  // CloudEventRecord the codec takes, although every TaskflowEvent is one.
  const record = kafkaCodec.encode(event as unknown as CloudEventRecord, { mode: 'binary' })
  await trx
    .insertInto('tasks.outbox')
    .values({
      event_id: event.id,
      lane: laneOf(record.key ?? event.id),
      topic,
      key: record.key,
      headers: JSON.stringify(record.headers),
      value: record.value,
    })
    .execute()
}
