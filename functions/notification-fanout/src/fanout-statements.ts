import type { PrepareStatement } from '#kit'
import { type DeliveryKey, type DeliveryRecord, deliveryRecordOf } from './delivery-records.ts'
import type { NewNotification } from './notification-store.ts'
import type { Channel } from './preferences.ts'

// The fan-out's hot path in three round trips per event, whatever the number of recipients and
// channels: what is known (inbox, preferences, delivery records), what needs no sending (in-app
// notifications and skipped channels, with their records), and the closing marks (announced, inbox).
// A channel that sends (webhook, email) still claims and finishes its own record (delivery-records.ts).

type StateRow = {
  processed: boolean
  preferences: { user_id: string; settings: unknown }[]
  records: RecordRow[]
}

type RecordRow = {
  recipient: string
  channel: string
  notification_id: string
  status: string
  announced: boolean
}

export type FanoutState = {
  readonly processed: boolean
  /** Stored settings by user id; a user without a row is absent. */
  readonly storedPreferences: ReadonlyMap<string, unknown>
  readonly records: readonly DeliveryRecord[]
}

/** A delivery decided without sending: skipped (with the reason), or in-app and stored. */
export type FinalDelivery = {
  readonly key: DeliveryKey
  readonly notificationId: string
  readonly status: 'delivered' | 'skipped'
  readonly detail: string | null
}

function statementTexts(schema: string) {
  return {
    state: `select
        exists (select from ${schema}.processed_events where source = $1 and id = $2) as processed,
        coalesce((select json_agg(json_build_object('user_id', user_id, 'settings', settings))
          from ${schema}.preferences where user_id = any($3::text[])), '[]') as preferences,
        coalesce((select json_agg(json_build_object('recipient', recipient, 'channel', channel,
            'notification_id', notification_id, 'status', status, 'announced', announced))
          from ${schema}.deliveries where event_source = $1 and event_id = $2), '[]') as records`,
    // Records and notifications of a redelivery are kept as they are (ids are derived from the event).
    finals: `with stored as (
        insert into ${schema}.notifications (id, recipient, kind, task_id, title, message, cause_event_id,
          cause_event_source, occurred_at)
        select id, recipient, kind, task_id, title, message, cause_event_id, cause_event_source, occurred_at
        from json_to_recordset($1::json) as n(id text, recipient text, kind text, task_id uuid, title text,
          message text, cause_event_id text, cause_event_source text, occurred_at timestamptz)
        on conflict (id) do nothing
      )
      insert into ${schema}.deliveries (event_source, event_id, recipient, channel, notification_id, status,
        detail, finished_at)
      select $2, $3, recipient, channel, notification_id, status, detail, now()
      from json_to_recordset($4::json) as d(recipient text, channel text, notification_id text, status text,
        detail text)
      on conflict (event_source, event_id, recipient, channel) do nothing
      returning recipient, channel, notification_id, status, announced`,
    // $5: whether the event is done (nothing open, everything announced): then its inbox row too.
    close: `with marked as (
        update ${schema}.deliveries set announced = true
        where event_source = $1 and event_id = $2
          and (recipient, channel) in (select * from unnest($3::text[], $4::text[]))
      )
      insert into ${schema}.processed_events (source, id) select $1, $2 where $5::boolean
      on conflict do nothing`,
  }
}

/** `prepare` declares each statement and returns its runner (FunctionDatabase.statement). */
export function createFanoutStatements(schema: string, prepare: PrepareStatement) {
  const texts = statementTexts(schema)
  const run = {
    state: prepare<StateRow>('fanout_state', texts.state),
    finals: prepare<RecordRow>('fanout_finals', texts.finals),
    close: prepare('fanout_close', texts.close),
  }
  return {
    async readState(
      event: { readonly source: string; readonly id: string },
      recipients: readonly string[],
    ): Promise<FanoutState> {
      const [row] = await run.state([event.source, event.id, [...recipients]])
      if (!row) throw new Error('the fan-out state statement returned no row')
      return {
        processed: row.processed,
        storedPreferences: new Map(row.preferences.map((stored) => [stored.user_id, stored.settings])),
        records: row.records.map(deliveryRecordOf),
      }
    },

    /** Stores the notifications and final records; returns the records this call created. */
    async storeFinals(
      event: { readonly source: string; readonly id: string },
      notifications: readonly NewNotification[],
      finals: readonly FinalDelivery[],
    ): Promise<DeliveryRecord[]> {
      if (finals.length === 0) return []
      const rows = await run.finals([
        JSON.stringify(
          notifications.map((notification) => ({
            id: notification.id,
            recipient: notification.recipient,
            kind: notification.kind,
            task_id: notification.taskId,
            title: notification.title,
            message: notification.message,
            cause_event_id: notification.causeEventId,
            cause_event_source: notification.causeEventSource,
            occurred_at: notification.occurredAt,
          })),
        ),
        event.source,
        event.id,
        JSON.stringify(
          finals.map((final) => ({
            recipient: final.key.recipient,
            channel: final.key.channel,
            notification_id: final.notificationId,
            status: final.status,
            detail: final.detail,
          })),
        ),
      ])
      return rows.map(deliveryRecordOf)
    },

    /** Marks the announced records, and records the event processed when `done`. */
    async close(
      event: { readonly source: string; readonly id: string },
      announced: readonly { recipient: string; channel: Channel }[],
      done: boolean,
    ): Promise<void> {
      if (announced.length === 0 && !done) return
      await run.close([
        event.source,
        event.id,
        announced.map((record) => record.recipient),
        announced.map((record) => record.channel),
        done,
      ])
    },
  }
}

export type FanoutStatements = ReturnType<typeof createFanoutStatements>
