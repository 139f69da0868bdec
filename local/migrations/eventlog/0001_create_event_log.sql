-- The embedded event log: Kafka's topic/partition/offset model and its consumer-group bookkeeping in
-- plain SQL, identical on PGlite and PostgreSQL.

-- Topics as the KafkaTopic manifests declare them. As on Kafka, partitions can only be added.
create table topics (
  name text primary key,
  partitions integer not null check (partitions > 0)
);

-- One counter row per partition: the offset the next appended record gets. An append locks the rows
-- of its partitions FOR UPDATE until it commits, so offsets are gap-free and become visible in order
-- (a later append to the same partition cannot commit before an earlier one).
create table partitions (
  topic text not null references topics (name) on delete cascade,
  partition integer not null check (partition >= 0),
  next_offset bigint not null default 0,
  primary key (topic, partition)
);

-- No foreign key to partitions: the append already holds that row's lock, and a per-row check would
-- cost on the hottest path. The primary key is also the fetch index (records after an offset).
create table records (
  topic text not null,
  partition integer not null,
  "offset" bigint not null,
  key bytea,
  value bytea,
  headers jsonb not null default '{}',
  -- Milliseconds since the epoch (Kafka's CreateTime).
  "timestamp" bigint not null,
  primary key (topic, partition, "offset")
);

-- A row per group only to serialise its rebalances (SELECT ... FOR UPDATE).
create table consumer_groups (
  group_id text primary key
);

-- Live members: a member whose lease (the session timeout) expired is removed by the next member that
-- rebalances, and its partitions go with it.
create table group_members (
  group_id text not null references consumer_groups (group_id) on delete cascade,
  member_id text not null,
  topics text[] not null,
  expires_at timestamptz not null,
  primary key (group_id, member_id)
);

-- Which member delivers a partition. At most one row per partition: two members never own it at once.
create table partition_owners (
  group_id text not null,
  topic text not null,
  partition integer not null,
  member_id text not null,
  primary key (group_id, topic, partition),
  foreign key (group_id, member_id) references group_members (group_id, member_id) on delete cascade
);

-- Kafka's committed offset: the next record the group will read from the partition.
create table committed_offsets (
  group_id text not null,
  topic text not null,
  partition integer not null,
  next_offset bigint not null,
  committed_at timestamptz not null default now(),
  primary key (group_id, topic, partition)
);
