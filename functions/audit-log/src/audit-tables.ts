import type { Generated } from 'kysely'

// Row types of the audit schema (migrations/0001_audit_entries.sql). Table names are unqualified:
// queries run through `db.withSchema(schema)`, so tests can use a schema of their own.

export type EntriesTable = {
  /** bigint: pg hands it back as a string. */
  seq: Generated<string>
  event_id: string
  event_source: string
  event_type: string
  task_id: string
  actor: string | null
  occurred_at: Date | string
  recorded_at: Date | string
  correlation_id: string | null
  causation_id: string | null
  data: unknown
  changes: unknown
  prev_hash: string | null
  hash: string
}

export type TaskReadersTable = {
  task_id: string
  created_by: string
  assignee: string | null
  watchers: string[]
  task_version: number
}

export type ChainAnchorsTable = {
  task_id: string
  hash: string
}

export type AuditTables = {
  entries: EntriesTable
  task_readers: TaskReadersTable
  chain_anchors: ChainAnchorsTable
}
