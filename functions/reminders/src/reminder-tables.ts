// Row types of the reminders schema (migrations/0001_reminders.sql). Table names are unqualified:
// queries run through `db.withSchema(schema)`, so tests can use a schema of their own.

export type RemindersTable = {
  task_id: string
  task_version: number
  remind_at: Date | null
  fired_remind_at: Date | null
  title: string
  due_at: Date | null
  assignee: string | null
  watchers: string[]
  created_by: string
  scheduled_by: string
  correlation_id: string | null
  claim_id: string | null
  claimed_until: Date | null
  updated_at: Date
}

export type ReminderTables = {
  reminders: RemindersTable
}
