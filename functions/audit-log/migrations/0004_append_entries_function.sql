-- Runs with search_path set to the function's schema (AUDIT_SCHEMA, default `audit`).
-- Group commit: the events that arrive together are appended by one call, one round trip and one
-- commit for all of them, each exactly as append_entry appends it alone (its own outcome per event).
-- The caller sends at most one event per task, ordered by task id, so two batches take their per-task
-- locks in the same order and never deadlock.
create function append_entries(p_entries jsonb)
returns table (outcome text, entry_seq bigint, chain_head text)
language plpgsql
set search_path from current
as $$
declare
  e jsonb;
begin
  for e in select value from jsonb_array_elements(p_entries) with ordinality as t(value, n) order by n loop
    return query select * from append_entry(
      e->>'eventSource',
      e->>'eventId',
      e->>'eventType',
      e->>'taskId',
      e->>'actor',
      (e->>'occurredAt')::timestamptz,
      e->>'correlationId',
      e->>'causationId',
      e->'data',
      case when jsonb_typeof(e->'changes') = 'null' then null else e->'changes' end,
      e->>'expectedPrevHash',
      e->>'hash',
      e->>'createdBy',
      e->>'assignee',
      array(select jsonb_array_elements_text(e->'watchers')),
      (e->>'taskVersion')::integer
    );
  end loop;
end
$$;
