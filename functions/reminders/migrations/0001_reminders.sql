-- Runs with search_path set to the function's schema (REMINDERS_SCHEMA, default `reminders`).
-- One row per task the function has heard of: the task's reminder (if any) and the snapshot fields
-- the reminder.due event carries. A cancelled reminder keeps its row (remind_at null) so the task's
-- version survives and a redelivered older event cannot bring the reminder back.
create table reminders (
  task_id uuid primary key,
  -- The task version the row reflects: an event carrying an older version is ignored.
  task_version integer not null,
  -- When to remind; null: nothing scheduled (none set, cleared, task done or deleted).
  remind_at timestamptz,
  -- The remind_at last emitted: a reminder is due while remind_at is set, reached and differs from
  -- it, so one (task, remindAt) fires at most once even if the time is set, changed and set back.
  fired_remind_at timestamptz,
  title text not null,
  due_at timestamptz,
  assignee text,
  watchers text[] not null default '{}',
  created_by text not null,
  -- The task event that set this state: the reminder.due event's causationid.
  scheduled_by text not null,
  correlation_id text,
  -- A tick's claim: the reminder is being emitted by that tick until claimed_until, after which a
  -- crashed replica's claim lapses and another tick takes it.
  claim_id uuid,
  claimed_until timestamptz,
  updated_at timestamptz not null default now()
);
-- The tick's scan: only reminders that are set and not yet fired.
create index reminders_pending on reminders (remind_at)
  where remind_at is not null and fired_remind_at is distinct from remind_at;

-- Redelivery guard: a row here is written in the same transaction as the effect it guards.
create table processed_events (
  source text not null,
  id text not null,
  processed_at timestamptz not null default now(),
  primary key (source, id)
);
