import { type Kysely, sql } from 'kysely'
import type { NotificationTables } from './notification-tables.ts'
import type { Channel } from './preferences.ts'

// The delivery record of one (event, recipient, channel). An attempt CLAIMS the record before it
// sends and FINISHES it after; a final record (delivered, skipped, failed) is never claimed again,
// so a redelivered event sends nothing twice and a retry after a partial failure sends only what
// is still open. The claim is a lease: a process that died mid-send leaves an in-flight record that
// another attempt may take over once `leaseMs` has passed (the send may then happen twice, which is
// the at-least-once a webhook receiver must tolerate anyway; the notification id lets it dedupe).

export type DeliveryKey = {
  readonly eventSource: string
  readonly eventId: string
  readonly recipient: string
  readonly channel: Channel
}

function keyOf(key: DeliveryKey) {
  return {
    event_source: key.eventSource,
    event_id: key.eventId,
    recipient: key.recipient,
    channel: key.channel,
  }
}

/** True when this attempt now owns the delivery and must send; false when it is final or owned. */
export async function claimDelivery(
  db: Kysely<NotificationTables>,
  key: DeliveryKey,
  notificationId: string,
  leaseMs: number,
): Promise<boolean> {
  const claimed = await db
    .insertInto('deliveries')
    .values({ ...keyOf(key), notification_id: notificationId, status: 'in_flight' })
    .onConflict((conflict) =>
      conflict
        .columns(['event_source', 'event_id', 'recipient', 'channel'])
        .doUpdateSet({
          status: 'in_flight',
          claimed_at: sql<Date>`now()`,
          attempts: sql<number>`deliveries.attempts + 1`,
        })
        .where((eb) =>
          eb.or([
            eb('deliveries.status', '=', 'pending'),
            eb.and([
              eb('deliveries.status', '=', 'in_flight'),
              eb('deliveries.claimed_at', '<', sql<Date>`now() - make_interval(secs => ${leaseMs / 1000})`),
            ]),
          ]),
        ),
    )
    .returning('attempts')
    .executeTakeFirst()
  return claimed !== undefined
}

/** Records the result of a claimed attempt; `pending` reopens it for the next delivery of the event. */
export async function finishDelivery(
  db: Kysely<NotificationTables>,
  key: DeliveryKey,
  result: { status: 'delivered' | 'failed' | 'pending'; detail?: string | undefined },
): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({
      status: result.status,
      detail: result.detail ?? null,
      finished_at: result.status === 'pending' ? null : sql<Date>`now()`,
    })
    .where('event_source', '=', key.eventSource)
    .where('event_id', '=', key.eventId)
    .where('recipient', '=', key.recipient)
    .where('channel', '=', key.channel)
    .execute()
}

export type DeliveryRecord = {
  readonly recipient: string
  readonly channel: Channel
  readonly notificationId: string
  readonly status: string
  readonly announced: boolean
}

export async function deliveriesOf(
  db: Kysely<NotificationTables>,
  event: { source: string; id: string },
): Promise<DeliveryRecord[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['recipient', 'channel', 'notification_id', 'status', 'announced'])
    .where('event_source', '=', event.source)
    .where('event_id', '=', event.id)
    .orderBy('recipient')
    .orderBy('channel')
    .execute()
  return rows.map(deliveryRecordOf)
}

/** A `deliveries` row as the fan-out reads it. */
export function deliveryRecordOf(row: {
  recipient: string
  channel: string
  notification_id: string
  status: string
  announced: boolean
}): DeliveryRecord {
  return {
    recipient: row.recipient,
    channel: row.channel as Channel,
    notificationId: row.notification_id,
    status: row.status,
    announced: row.announced,
  }
}
