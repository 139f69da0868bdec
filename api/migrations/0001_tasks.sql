-- The Task API's tables. Names are schema-qualified so the file means the same whatever search_path
-- the migrator sets.
create schema if not exists tasks;

create table tasks.tasks (
  id uuid primary key,
  title text not null,
  description text,
  status text not null check (status in ('open', 'in_progress', 'done')),
  priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
  due_at timestamptz,
  remind_at timestamptz,
  assignee text,
  watchers text[] not null default '{}',
  tags text[] not null default '{}',
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  completed_at timestamptz,
  version integer not null check (version >= 1)
);

-- Visibility is "created by, assigned to or watching": one index per arm of that OR.
create index tasks_created_by on tasks.tasks (created_by, id);
create index tasks_assignee on tasks.tasks (assignee, id) where assignee is not null;
create index tasks_watchers on tasks.tasks using gin (watchers);
create index tasks_tags on tasks.tasks using gin (tags);

-- Transactional outbox: each row is a Kafka record already encoded (CloudEvents binary mode), written in
-- the transaction that changed the task, published by the relay, then marked.
create table tasks.outbox (
  id bigint generated always as identity primary key,
  event_id text not null unique,
  -- lane = hash(task id) mod 16: a relay owns whole lanes, so one task's events are only ever
  -- published by one relay at a time, in id order.
  lane smallint not null check (lane >= 0 and lane < 16),
  topic text not null,
  key text,
  headers jsonb not null,
  value bytea not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0,
  last_error text
);

create index outbox_unpublished on tasks.outbox (lane, id) where published_at is null;

-- Lane leases instead of advisory locks: a lease is a row, so it works the same through a pooled
-- connection, PgBouncer in transaction mode and embedded PGlite (one multiplexed session, where session
-- advisory locks would be shared by every "connection").
create table tasks.outbox_lanes (
  lane smallint primary key check (lane >= 0 and lane < 16),
  owner text,
  lease_until timestamptz
);

insert into tasks.outbox_lanes (lane) select generate_series(0, 15);

create table tasks.idempotency_keys (
  user_id text not null,
  key text not null,
  request_hash text not null,
  status_code integer not null,
  response_body jsonb not null,
  task_id uuid,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
