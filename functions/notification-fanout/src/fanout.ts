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
  type DeliveryRecord,
  deliveriesOf,
  finishDelivery,
} from './delivery-records.ts'
import type { EmailSender } from './email-channel.ts'
import type { FanoutStatements, FinalDelivery } from './fanout-statements.ts'
import type { NewNotification } from './notification-store.ts'
import type { NotificationTables } from './notification-tables.ts'
import { recipientsOf, triggerOf } from './notification-trigger.ts'
import { preferencesOf } from './preference-store.ts'
import { type Channel, type Preferences, planChannels } from './preferences.ts'
import type { WebhookSender } from './webhook-channel.ts'

// One event in, one notification per recipient out, on each channel the recipient's preferences
// allow. Every (event, recipient, channel) has a delivery record; the outcome is 503 while any
// record is still open (or an announcement to K_SINK is missing), so the source redelivers and the
// next attempt does only what is left.

export type FanoutDependencies = {
  readonly db: Kysely<NotificationTables>
  /** The hot path's statements (fanout-statements.ts). */
  readonly statements: FanoutStatements
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
  const trigger = triggerOf(event)
  if (trigger === null) return done()
  const recipients = recipientsOf(trigger.people, event.actor)
  const state = await deps.statements.readState(event, recipients)
  if (state.processed) return done()
  const preferences = preferencesOf(recipients, state.storedPreferences)
  const now = deps.now()

  // Decided here without sending: in-app notifications and skipped channels, stored in one statement.
  // Channels that send claim, send and finish their own records.
  const notifications: NewNotification[] = []
  const finals: FinalDelivery[] = []
  const sends: (() => Promise<void>)[] = []
  for (const recipient of recipients) {
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
    const recipientPreferences = preferences.get(recipient)!
    for (const plan of planChannels(recipientPreferences, notification.kind, now)) {
      const key: DeliveryKey = {
        eventSource: event.source,
        eventId: event.id,
        recipient,
        channel: plan.channel,
      }
      const notificationId = notification.notificationId
      if (!plan.send) finals.push({ key, notificationId, status: 'skipped', detail: plan.reason })
      else if (plan.channel === 'in_app') {
        notifications.push({ ...notification, id: notificationId, causeEventSource: event.source })
        finals.push({ key, notificationId, status: 'delivered', detail: null })
      } else sends.push(() => sendOnChannel(deps, key, plan.channel, notification, recipientPreferences))
    }
  }
  const created = await deps.statements.storeFinals(event, notifications, finals)
  await Promise.all(sends.map((send) => send()))
  // Without sends the records are those known before plus those just created; a send changed its own.
  const records = sends.length > 0 ? await deliveriesOf(deps.db, event) : mergeRecords(state.records, created)

  const open = records.filter((record) => record.status === 'in_flight' || record.status === 'pending')
  const { announced, failed: unannounced } = await announce(deps, event, trigger.taskId, records)
  const finished = open.length === 0 && unannounced === 0
  await deps.statements.close(event, announced, finished)
  if (!finished) {
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
  return done({
    event: event.id,
    recipients,
    deliveries: records.map(({ recipient, channel, status }) => ({ recipient, channel, status })),
  })
}

/** The records of an event in (recipient, channel) order, as `deliveriesOf` reads them. */
function mergeRecords(
  known: readonly DeliveryRecord[],
  created: readonly DeliveryRecord[],
): DeliveryRecord[] {
  const byKey = new Map<string, DeliveryRecord>()
  for (const record of [...known, ...created]) byKey.set(`${record.recipient}\n${record.channel}`, record)
  return [...byKey.values()].sort((a, b) =>
    a.recipient === b.recipient ? compare(a.channel, b.channel) : compare(a.recipient, b.recipient),
  )
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Claims the record of a channel that sends (webhook, email), sends, and records the result. */
async function sendOnChannel(
  deps: FanoutDependencies,
  key: DeliveryKey,
  channel: Channel,
  notification: OutgoingNotification,
  preferences: Preferences,
): Promise<void> {
  if (!(await claimDelivery(deps.db, key, notification.notificationId, deps.leaseMs))) return
  // The webhook-id is the id of the notification.sent event announcing this delivery: the same on
  // every attempt, so the receiver deduplicates retries (and refuses replays) on it.
  const result =
    channel === 'webhook'
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
}

/** Emits dev.taskflow.notification.sent for each delivered, unannounced record: which were accepted, how many not. */
async function announce(
  deps: FanoutDependencies,
  cause: TaskflowEvent,
  taskId: string,
  records: readonly DeliveryRecord[],
): Promise<{ announced: DeliveryRecord[]; failed: number }> {
  if (deps.sink === undefined) return { announced: [], failed: 0 }
  const sink = deps.sink
  const pending = records.filter((record) => record.status === 'delivered' && !record.announced)
  const accepted = await Promise.all(
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
      return (await sink.emit(sent)).kind === 'done'
    }),
  )
  const announced = pending.filter((_, index) => accepted[index])
  return { announced, failed: pending.length - announced.length }
}
