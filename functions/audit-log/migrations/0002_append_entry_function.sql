-- Runs with search_path set to the function's schema (AUDIT_SCHEMA, default `audit`).
-- One event's whole effect in one round trip: the per-task lock, the chain head check, the inbox row,
-- the readers' projection and the chained row. The hash is computed by the caller over the head it
-- expects (its cache of each task's newest hash); when the head has moved (another replica wrote, or
-- the cache was cold) nothing is written and the actual head is returned, so the caller hashes again.
-- SET search_path FROM CURRENT binds the function to this schema whatever the caller's path.
create function append_entry(
  p_event_source text,
  p_event_id text,
  p_event_type text,
  p_task_id text,
  p_actor text,
  p_occurred_at timestamptz,
  p_correlation_id text,
  p_causation_id text,
  p_data jsonb,
  p_changes jsonb,
  p_expected_prev_hash text,
  p_hash text,
  p_created_by text,
  p_assignee text,
  p_watchers text[],
  p_task_version integer
) returns table (outcome text, entry_seq bigint, chain_head text)
language plpgsql
set search_path from current
as $$
declare
  head text;
  new_seq bigint;
begin
  -- Two events of one task chain one after the other, never both onto the same parent.
  perform pg_advisory_xact_lock(hashtextextended('audit:' || p_task_id, 0));

  select e.hash into head from entries e where e.task_id = p_task_id::uuid order by e.seq desc limit 1;
  if not found then
    select a.hash into head from chain_anchors a where a.task_id = p_task_id::uuid;
  end if;
  if head is distinct from p_expected_prev_hash then
    return query select 'stale'::text, null::bigint, head;
    return;
  end if;

  insert into processed_events (source, id) values (p_event_source, p_event_id) on conflict do nothing;
  if not found then
    return query select 'duplicate'::text, null::bigint, head;
    return;
  end if;

  -- A snapshot older than the one already projected (events of one task can arrive out of order
  -- across retries) must not roll the readers back.
  insert into task_readers as r (task_id, created_by, assignee, watchers, task_version)
  values (p_task_id::uuid, p_created_by, p_assignee, p_watchers, p_task_version)
  on conflict (task_id) do update set
    created_by = excluded.created_by,
    assignee = excluded.assignee,
    watchers = excluded.watchers,
    task_version = excluded.task_version
  where r.task_version <= excluded.task_version;

  -- clock_timestamp(), not now(): taken after the lock, so recorded_at grows with seq per task and a
  -- retention purge removes a prefix of each chain.
  insert into entries (
    event_id, event_source, event_type, task_id, actor, occurred_at, recorded_at,
    correlation_id, causation_id, data, changes, prev_hash, hash
  ) values (
    p_event_id, p_event_source, p_event_type, p_task_id::uuid, p_actor, p_occurred_at, clock_timestamp(),
    p_correlation_id, p_causation_id, p_data, p_changes, p_expected_prev_hash, p_hash
  ) returning entries.seq into new_seq;

  return query select 'recorded'::text, new_seq, p_hash;
end
$$;
