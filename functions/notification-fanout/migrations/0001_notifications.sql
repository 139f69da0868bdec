-- Runs with search_path set to the function's schema (NOTIFY_SCHEMA, default `notifications`).

-- In-app notifications: one row per (cause event, recipient). The id is derived from the cause
-- event and the recipient, so a redelivered event finds its row instead of adding a second one.
create table notifications (
  seq bigint generated always as identity primary key,
  id text not null unique,
  recipient text not null,
  kind text not null,
  task_id uuid not null,
  title text not null,
  message text not null,
  cause_event_id text not null,
  cause_event_source text not null,
  occurred_at timestamptz not null,
  created_at timestamptz not null default clock_timestamp(),
  read_at timestamptz
);
create index notifications_recipient_seq on notifications (recipient, seq desc);
create index notifications_created_at on notifications (created_at);

-- One delivery record per (event, recipient, channel): what was sent, skipped or given up, so a
-- redelivered event sends nothing twice and a retry after a partial failure sends only what is missing.
create table deliveries (
  event_source text not null,
  event_id text not null,
  recipient text not null,
  channel text not null check (channel in ('in_app', 'webhook', 'email')),
  notification_id text not null,
  -- in_flight: claimed by an attempt (a lease: claimed_at older than the lease may be claimed again);
  -- pending: the last attempt failed transiently; delivered, skipped, failed: final.
  status text not null check (status in ('in_flight', 'pending', 'delivered', 'skipped', 'failed')),
  detail text,
  attempts integer not null default 1,
  claimed_at timestamptz not null default now(),
  finished_at timestamptz,
  -- Whether dev.taskflow.notification.sent reached K_SINK for this delivery.
  announced boolean not null default false,
  primary key (event_source, event_id, recipient, channel)
);

-- Events whose every delivery is final and announced: a redelivery is acknowledged at once.
create table processed_events (
  source text not null,
  id text not null,
  processed_at timestamptz not null default now(),
  primary key (source, id)
);

-- What each user chose; a user without a row gets the defaults (src/preferences.ts).
create table preferences (
  user_id text primary key,
  settings jsonb not null,
  updated_at timestamptz not null default now()
);
