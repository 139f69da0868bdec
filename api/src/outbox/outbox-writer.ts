// Writes a CloudEvent into the outbox inside the caller's transaction: the event exists exactly when
// the task change it describes committed (the transactional outbox pattern).
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely'
import type { Logger } from 'pino'
import { listenForNotifications, type NotificationListener } from '../../../db/src/index.ts'
import { type CloudEventRecord, kafkaCodec, type TaskflowEvent } from '../../../events/src/index.ts'
import type { OutboxTable, TasksDatabase } from '../database.ts'
import { laneOf } from './lanes.ts'

/**
 * The channel a commit that wrote outbox rows notifies (delivered at commit, never for a rollback): the
 * relay that owns the rows' lanes may run in another replica, and it LISTENs here instead of waiting for
 * its next poll.
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

export async function enqueueEvent(
  trx: Transaction<TasksDatabase>,
  topic: string,
  event: TaskflowEvent,
): Promise<void> {
  await insertOutboxRows(trx, [outboxRow(topic, event)])
}

/** Inserts outbox rows and notifies `outboxChannel`, in one statement (no extra round trip). */
async function insertOutboxRows(
  db: Kysely<TasksDatabase> | Transaction<TasksDatabase>,
  rows: readonly Insertable<OutboxTable>[],
): Promise<void> {
  await db
    .with('written_events', (cte) => cte.insertInto('tasks.outbox').values(rows).returning('id'))
    .selectFrom('written_events')
    .select(notifyOutboxChannel.as('notified'))
    .limit(1)
    .execute()
}

/** The select-list item that notifies the relay's channel (see `outboxChannel`). */
export const notifyOutboxChannel = sql<string>`pg_notify(${outboxChannel}, '')`

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
