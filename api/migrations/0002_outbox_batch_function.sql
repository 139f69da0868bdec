-- The relay's read of the next unpublished outbox rows, as a function so it can carry its own planner
-- setting. Every published row leaves its old version in the partial index outbox_unpublished until
-- VACUUM (published_at is in the index predicate, so marking a row is never a HOT update). A bitmap
-- scan, which the planner prefers for the few rows it expects, visits every one of those dead entries on
-- every round, and their heap pages: measured at 1,000 POST/s, ~40,000 dead entries and 27 ms per read
-- after 20 s. A plain index scan marks the entries it finds dead (once no snapshot can see them) and
-- skips them from then on: 15 ms the first time, then 0.5 ms. enable_bitmapscan is off only inside
-- this function (its SET clause), never for the session.
create function tasks.unpublished_outbox_rows(relay_lanes int[], skipped_ids bigint[], batch_size int)
returns table (id bigint, topic text, key text, headers jsonb, value bytea, created_at timestamptz)
language sql
stable
set enable_bitmapscan = off
as $$
  select o.id, o.topic, o.key, o.headers, o.value, o.created_at
    from tasks.outbox o
   where o.published_at is null
     and o.lane = any(relay_lanes)
     and not (o.id = any(skipped_ids))
   order by o.id
   limit batch_size
$$;
