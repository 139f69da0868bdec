import type { Kysely } from 'kysely'
import { v5 as uuidv5 } from 'uuid'
import {
  createEvent,
  done,
  EventTypes,
  type Outcome,
  type SinkEmitter,
  type TaskflowEvent,
  unavailable,
} from '#kit'
import type { OutgoingNotification } from './channel-result.ts'
import {
  claimDelivery,
  type DeliveryKey,
  deliveriesOf,
  finishDelivery,
  markAnnounced,
  recordFinalDelivery,
} from './delivery-records.ts'
import type { EmailSender } from './email-channel.ts'
import { storeNotification } from './notification-store.ts'
import type { NotificationTables } from './notification-tables.ts'
import { recipientsOf, triggerOf } from './notification-trigger.ts'
import { readPreferences } from './preference-store.ts'
import { type Channel, type Preferences, planChannels } from './preferences.ts'
import type { WebhookSender } from './webhook-channel.ts'

// One event in, one notification per recipient out, on each channel the recipient's preferences
// allow. Every (event, recipient, channel) has a delivery record; the outcome is 503 while any
// record is still open (or an announcement to K_SINK is missing), so the source redelivers and the
// next attempt does only what is left.

export type FanoutDependencies = {
  readonly db: Kysely<NotificationTables>
  readonly webhook: WebhookSender
  readonly email: EmailSender
  readonly sink?: SinkEmitter | undefined
  /** `source` of the dev.taskflow.notification.sent events. */
  readonly eventSource: string
  readonly now: () => Date
  /** How long an in-flight claim holds before another attempt may take it over. */
  readonly leaseMs: number
}

// Fixed namespace for the name-based (v5) ids: the same cause event and recipient always give the
// same notification id, and the same notification and channel the same notification.sent id, so
// retries dedupe here and downstream.
const idNamespace = '5b0c7a52-3f0e-4c47-9b8e-6f4f1d2f6a11'

export function notificationIdOf(event: { source: string; id: string }, recipient: string): string {
  // Hashed as UTF-8 bytes: uuid's own string path (encodeURIComponent) throws on a lone surrogate,
  // which a JSON "\ud800" escape in an event can carry; Buffer.from writes U+FFFD for it instead.
  return uuidv5(Buffer.from(`${event.source}\n${event.id}\n${recipient}`, 'utf8'), idNamespace)
}

export function sentEventIdOf(notificationId: string, channel: Channel): string {
  return uuidv5(`${notificationId}\n${channel}`, idNamespace)
}

export async function fanOut(deps: FanoutDependencies, event: TaskflowEvent): Promise<Outcome> {
  const { db } = deps
  const processed = await db
    .selectFrom('processed_events')
    .select('id')
    .where('source', '=', event.source)
    .where('id', '=', event.id)
    .executeTakeFirst()
  if (processed) return done()

  const trigger = triggerOf(event)
  if (trigger === null) return done()
  const recipients = recipientsOf(trigger.people, event.actor)
  const preferences = await readPreferences(db, recipients)
  const now = deps.now()

  await Promise.all(
    recipients.map((recipient) => {
      const notification: OutgoingNotification = {
        notificationId: notificationIdOf(event, recipient),
        recipient,
        kind: trigger.kind,
        taskId: trigger.taskId,
        title: trigger.title,
        message: trigger.message,
        causeEventId: event.id,
        occurredAt: new Date(event.time).toISOString(),
      }
      return deliverToRecipient(deps, event, notification, preferences.get(recipient)!, now)
    }),
  )

  const records = await deliveriesOf(db, event)
  const open = records.filter((record) => record.status === 'in_flight' || record.status === 'pending')
  const unannounced = await announce(deps, event, trigger.taskId, records)
  if (open.length > 0 || unannounced > 0) {
    const missing = open.map((record) => `${record.channel} to ${record.recipient}`)
    return unavailable(
      [
        missing.length > 0 ? `not yet delivered: ${missing.join(', ')}` : undefined,
        unannounced > 0 ? `${unannounced} notification.sent event(s) not accepted by K_SINK` : undefined,
      ]
        .filter((part) => part !== undefined)
        .join('; '),
    )
  }
  await db
    .insertInto('processed_events')
    .values({ source: event.source, id: event.id })
    .onConflict((conflict) => conflict.columns(['source', 'id']).doNothing())
    .execute()
  return done({
    event: event.id,
    recipients,
    deliveries: records.map(({ recipient, channel, status }) => ({ recipient, channel, status })),
  })
}

async function deliverToRecipient(
  deps: FanoutDependencies,
  event: TaskflowEvent,
  notification: OutgoingNotification,
  preferences: Preferences,
  now: Date,
): Promise<void> {
  const plans = planChannels(preferences, notification.kind, now)
  await Promise.all(
    plans.map(async (plan) => {
      const key: DeliveryKey = {
        eventSource: event.source,
        eventId: event.id,
        recipient: notification.recipient,
        channel: plan.channel,
      }
      if (!plan.send) {
        await recordFinalDelivery(deps.db, key, notification.notificationId, 'skipped', plan.reason)
        return
      }
      if (plan.channel === 'in_app') {
        // Stored and recorded without a claim: the insert itself is idempotent (the id is derived).
        await storeNotification(deps.db, {
          ...notification,
          id: notification.notificationId,
          causeEventSource: event.source,
        })
        await recordFinalDelivery(deps.db, key, notification.notificationId, 'delivered')
        return
      }
      if (!(await claimDelivery(deps.db, key, notification.notificationId, deps.leaseMs))) return
      // The webhook-id is the id of the notification.sent event announcing this delivery: the same on
      // every attempt, so the receiver deduplicates retries (and refuses replays) on it.
      const result =
        plan.channel === 'webhook'
          ? await deps.webhook.send(
              preferences.webhook!,
              notification,
              sentEventIdOf(notification.notificationId, 'webhook'),
            )
          : await deps.email.send(preferences.email!.address, notification)
      await finishDelivery(deps.db, key, {
        status: result.status === 'retry' ? 'pending' : result.status,
        detail: result.status === 'delivered' ? undefined : result.detail,
      })
    }),
  )
}

/** Emits dev.taskflow.notification.sent for each delivered, unannounced record; returns how many failed. */
async function announce(
  deps: FanoutDependencies,
  cause: TaskflowEvent,
  taskId: string,
  records: Awaited<ReturnType<typeof deliveriesOf>>,
): Promise<number> {
  if (deps.sink === undefined) return 0
  const sink = deps.sink
  const pending = records.filter((record) => record.status === 'delivered' && !record.announced)
  const outcomes = await Promise.all(
    pending.map(async (record) => {
      const sent = createEvent({
        type: EventTypes.NotificationSent,
        source: deps.eventSource,
        id: sentEventIdOf(record.notificationId, record.channel),
        data: {
          notificationId: record.notificationId,
          recipient: record.recipient,
          channel: record.channel,
          taskId,
          causeEventId: cause.id,
        },
        causationId: cause.id,
        ...(cause.correlationid === undefined ? {} : { correlationId: cause.correlationid }),
      })
      const outcome = await sink.emit(sent)
      if (outcome.kind !== 'done') return false
      await markAnnounced(deps.db, {
        eventSource: cause.source,
        eventId: cause.id,
        recipient: record.recipient,
        channel: record.channel,
      })
      return true
    }),
  )
  return outcomes.filter((ok) => !ok).length
}
