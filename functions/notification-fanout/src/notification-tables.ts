import type { Generated } from 'kysely'

// Row types of the notifications schema (migrations/0001_notifications.sql). Table names are
// unqualified: queries run through `db.withSchema(schema)`, so tests can use a schema of their own.

export type NotificationsTable = {
  /** bigint: pg hands it back as a string. */
  seq: Generated<string>
  id: string
  recipient: string
  kind: string
  task_id: string
  title: string
  message: string
  cause_event_id: string
  cause_event_source: string
  occurred_at: Date | string
  created_at: Generated<Date>
  read_at: Date | null
}

export type DeliveryStatus = 'in_flight' | 'pending' | 'delivered' | 'skipped' | 'failed'

export type DeliveriesTable = {
  event_source: string
  event_id: string
  recipient: string
  channel: string
  notification_id: string
  status: DeliveryStatus
  detail: string | null
  attempts: Generated<number>
  claimed_at: Generated<Date>
  finished_at: Date | null
  announced: Generated<boolean>
}

export type PreferencesTable = {
  user_id: string
  settings: unknown
  updated_at: Generated<Date>
}

export type ProcessedEventsTable = {
  source: string
  id: string
  processed_at: Generated<Date>
}

export type NotificationTables = {
  notifications: NotificationsTable
  deliveries: DeliveriesTable
  preferences: PreferencesTable
  processed_events: ProcessedEventsTable
}
