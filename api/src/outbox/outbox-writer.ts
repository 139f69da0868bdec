// Writes a CloudEvent into the outbox inside the caller's transaction: the event exists exactly when
// the task change it describes committed (the transactional outbox pattern).
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely'
import type { Logger } from 'pino'
import { listenForNotifications, type NotificationListener } from '../../../db/src/index.ts'
import { type CloudEventRecord, kafkaCodec, type TaskflowEvent } from '../../../events/src/index.ts'
import type { OutboxTable, TasksDatabase } from '../database.ts'
import { laneOf } from './lanes.ts'

/**
 * The channel a replica notifies after committing outbox rows whose lanes a relay in another replica
 * holds: that relay LISTENs here instead of waiting for its next poll (commit-signal.ts).
 */
export const outboxChannel = 'taskflow_outbox'

/** LISTENs on outboxChannel for a relay: any replica's commit wakes it at once, not at its next poll. */
export function wakeOnOutboxCommits(
  url: string,
  relay: { wake(): void },
  logger: Logger,
): NotificationListener {
  return listenForNotifications({
    url,
    channel: outboxChannel,
    applicationName: 'taskflow-api-outbox-listener',
    onNotification: () => relay.wake(),
    logger,
  })
}

/** Writes the event's outbox row in the caller's transaction. */
export async function enqueueEvent(
  trx: Transaction<TasksDatabase>,
  row: Insertable<OutboxTable>,
): Promise<void> {
  await trx.insertInto('tasks.outbox').values(row).execute()
}

/** One NOTIFY on `outboxChannel`, in a statement of its own (commit-signal.ts says when and why). */
export async function notifyOutboxRelays(db: Kysely<TasksDatabase>): Promise<void> {
  await sql`select pg_notify(${outboxChannel}, '')`.execute(db)
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
