-- Runs with search_path set to the function's schema (AUDIT_SCHEMA, default `audit`).
-- The audit log: one append-only row per task event, hash-chained per task for tamper evidence.
create table entries (
  seq bigint generated always as identity primary key,
  event_id text not null,
  event_source text not null,
  event_type text not null,
  task_id uuid not null,
  actor text,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  correlation_id text,
  causation_id text,
  data jsonb not null,
  changes jsonb,
  prev_hash text,
  hash text not null,
  -- The CloudEvents spec makes (source, id) unique; the task events' ids are UUIDv7, unique alone.
  constraint entries_event_unique unique (event_source, event_id)
);
create index entries_task_seq on entries (task_id, seq);
create index entries_actor_seq on entries (actor, seq);
create index entries_recorded_at on entries (recorded_at);

-- Redelivery guard: a row here is written in the same transaction as the effect it guards.
create table processed_events (
  source text not null,
  id text not null,
  processed_at timestamptz not null default now(),
  primary key (source, id)
);

-- Who may read a task's audit trail, projected from the task snapshot every task event carries.
create table task_readers (
  task_id uuid primary key,
  created_by text not null,
  assignee text,
  watchers text[] not null default '{}',
  task_version integer not null
);

-- After a retention purge, the hash of the newest purged row of each task: the chain's new start.
create table chain_anchors (
  task_id uuid primary key,
  hash text not null
);
