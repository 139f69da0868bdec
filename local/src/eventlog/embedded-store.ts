import { type Kysely, sql, type Transaction } from 'kysely'
import { EventLogError, unknownTopic } from './errors.ts'
import { partitionQuotas } from './group-assignment.ts'
import type { LogRecord, TopicPartition } from './types.ts'

// Every SQL statement of the embedded log, in one place. Names are schema-qualified (`eventlog.`) so
// they work on any pooled connection whatever its search_path. Arrays travel as single parameters
// (unnest), so a batch costs one statement however many records or partitions it holds.

// biome-ignore lint/suspicious/noExplicitAny: the log runs on whatever Kysely<DB> its host process has; it only uses raw SQL
export type AnyDatabase = Kysely<any>
// biome-ignore lint/suspicious/noExplicitAny: see AnyDatabase
type AnyExecutor = Kysely<any> | Transaction<any>

export async function topicPartitionCounts(
  db: AnyExecutor,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await sql<{ name: string; partitions: number }>`
    select name, partitions from eventlog.topics where name = any(${[...topics]}::text[])`.execute(db)
  return new Map(rows.map((row) => [row.name, row.partitions]))
}

/** Creates the topic or adds partitions; fewer partitions than exist is an error, as on Kafka. */
export async function ensureTopicRows(db: AnyDatabase, name: string, partitions: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`insert into eventlog.topics (name, partitions) values (${name}, ${partitions})
      on conflict (name) do nothing`.execute(trx)
    const { rows } = await sql<{ partitions: number }>`
      select partitions from eventlog.topics where name = ${name} for update`.execute(trx)
    const existing = rows[0]!.partitions
    if (partitions < existing) {
      throw new EventLogError(
        'partitions-decrease',
        `topic "${name}" has ${existing} partitions; Kafka cannot reduce them to ${partitions}`,
      )
    }
    await sql`update eventlog.topics set partitions = ${partitions} where name = ${name}`.execute(trx)
    await sql`insert into eventlog.partitions (topic, partition)
      select ${name}, p from generate_series(0, ${partitions - 1}::int) as p
      on conflict (topic, partition) do nothing`.execute(trx)
  })
}

export interface PendingRecord {
  readonly partition: number
  readonly key: Buffer | null
  readonly value: Buffer
  readonly headers: string
}

/**
 * Appends records in one transaction. Returns the offset of each record, in input order. The
 * partitions' counter rows are locked FOR UPDATE in partition order (no deadlock between two appenders)
 * and held until commit, which keeps offsets gap-free and visible in offset order.
 */
export async function appendRecords(
  db: AnyDatabase,
  topic: string,
  records: readonly PendingRecord[],
  timestamp: number,
): Promise<number[]> {
  const counts = new Map<number, number>()
  for (const record of records) counts.set(record.partition, (counts.get(record.partition) ?? 0) + 1)
  const partitions = [...counts.keys()].sort((a, b) => a - b)

  return db.transaction().execute(async (trx) => {
    const { rows: counters } = await sql<{ partition: number; next_offset: string }>`
      select partition, next_offset from eventlog.partitions
      where topic = ${topic} and partition = any(${partitions}::int[])
      order by partition
      for update`.execute(trx)
    if (counters.length !== partitions.length) throw unknownTopic(topic)
    const next = new Map<number, number>()
    for (const counter of counters) next.set(counter.partition, Number(counter.next_offset))

    const offsets: number[] = new Array(records.length)
    const partitionColumn: number[] = new Array(records.length)
    const offsetColumn: string[] = new Array(records.length)
    const keyColumn: (Buffer | null)[] = new Array(records.length)
    const valueColumn: Buffer[] = new Array(records.length)
    const headerColumn: string[] = new Array(records.length)
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const offset = next.get(record.partition)!
      next.set(record.partition, offset + 1)
      offsets[i] = offset
      partitionColumn[i] = record.partition
      offsetColumn[i] = String(offset)
      keyColumn[i] = record.key
      valueColumn[i] = record.value
      headerColumn[i] = record.headers
    }
    await sql`insert into eventlog.records (topic, partition, "offset", key, value, headers, "timestamp")
      select ${topic}, r.partition, r.offset, r.key, r.value, r.headers, ${timestamp}::bigint
      from unnest(${partitionColumn}::int[], ${offsetColumn}::bigint[], ${keyColumn}::bytea[],
                  ${valueColumn}::bytea[], ${headerColumn}::jsonb[])
        as r(partition, "offset", key, value, headers)`.execute(trx)
    await sql`update eventlog.partitions as p set next_offset = c.next_offset
      from unnest(${partitions}::int[], ${partitions.map((p) => String(next.get(p)))}::bigint[])
        as c(partition, next_offset)
      where p.topic = ${topic} and p.partition = c.partition`.execute(trx)
    return offsets
  })
}

export interface FetchPosition {
  readonly topic: string
  readonly partition: number
  readonly position: number
}

interface RecordRow {
  topic: string
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string>
  timestamp: string
}

/** Up to `limit` records after each position, in one statement, grouped by `topic/partition`. */
export async function fetchRecords(
  db: AnyDatabase,
  positions: readonly FetchPosition[],
  limit: number,
): Promise<Map<string, LogRecord[]>> {
  const { rows } = await sql<RecordRow>`
    select r.topic, r.partition, r."offset", r.key, r.value, r.headers, r."timestamp"
    from unnest(${positions.map((p) => p.topic)}::text[], ${positions.map((p) => p.partition)}::int[],
                ${positions.map((p) => String(p.position))}::bigint[]) as w(topic, partition, position)
    cross join lateral (
      select * from eventlog.records r
      where r.topic = w.topic and r.partition = w.partition and r."offset" >= w.position
      order by r."offset"
      limit ${limit}
    ) r
    order by r.topic, r.partition, r."offset"`.execute(db)
  const batches = new Map<string, LogRecord[]>()
  let current: LogRecord[] | undefined
  let currentKey = ''
  for (const row of rows) {
    const key = partitionKey(row.topic, row.partition)
    if (key !== currentKey) {
      current = []
      currentKey = key
      batches.set(key, current)
    }
    // The row already has LogRecord's shape (pg decodes bytea to Buffer, jsonb to an object, int8 to
    // a decimal string): handing it over as is keeps the consume path free of per-record copies.
    current!.push(row)
  }
  return batches
}

/**
 * Every record of a topic, in partition and offset order, read outside any consumer group (an operator's
 * tool reading the dead letters changes nothing). An unknown topic has none.
 */
export async function readTopic(db: AnyDatabase, topic: string): Promise<LogRecord[]> {
  const { rows } = await sql<RecordRow>`
    select topic, partition, "offset", key, value, headers, "timestamp"
    from eventlog.records where topic = ${topic}
    order by partition, "offset"`.execute(db)
  return rows
}

export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`

export interface PartitionEnd extends TopicPartition {
  readonly end: number
  readonly committed: number | null
}

export async function partitionEnds(
  db: AnyExecutor,
  groupId: string,
  topics: readonly string[],
): Promise<PartitionEnd[]> {
  const { rows } = await sql<{ topic: string; partition: number; end: string; committed: string | null }>`
    select p.topic, p.partition, p.next_offset as end, c.next_offset as committed
    from eventlog.partitions p
    left join eventlog.committed_offsets c
      on c.group_id = ${groupId} and c.topic = p.topic and c.partition = p.partition
    where p.topic = any(${[...topics]}::text[])
    order by p.topic, p.partition`.execute(db)
  return rows.map((row) => ({
    topic: row.topic,
    partition: row.partition,
    end: Number(row.end),
    committed: row.committed === null ? null : Number(row.committed),
  }))
}

/**
 * Knative's controller commits the end offsets of every partition for an `initialOffset: latest`
 * source before it is Ready: whatever is appended after the source started is delivered, even to a
 * partition assigned later. Partitions with a committed offset keep it.
 */
export async function commitEndOffsetsIfNone(
  db: AnyDatabase,
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  await sql`insert into eventlog.committed_offsets (group_id, topic, partition, next_offset)
    select ${groupId}, topic, partition, next_offset from eventlog.partitions
    where topic = any(${[...topics]}::text[])
    on conflict (group_id, topic, partition) do nothing`.execute(db)
}

export interface OffsetCommit extends TopicPartition {
  readonly nextOffset: number
}

/**
 * Commits offsets of partitions this member still owns; returns the keys that were committed. A
 * member that lost a partition (lease expired, a "zombie") cannot move the new owner's offsets: the
 * same fencing Kafka does with the group generation.
 */
export async function commitOffsets(
  db: AnyDatabase,
  groupId: string,
  memberId: string,
  commits: readonly OffsetCommit[],
): Promise<Set<string>> {
  if (commits.length === 0) return new Set()
  const { rows } = await sql<{ topic: string; partition: number }>`
    insert into eventlog.committed_offsets (group_id, topic, partition, next_offset, committed_at)
    select ${groupId}, c.topic, c.partition, c.next_offset, now()
    from unnest(${commits.map((c) => c.topic)}::text[], ${commits.map((c) => c.partition)}::int[],
                ${commits.map((c) => String(c.nextOffset))}::bigint[]) as c(topic, partition, next_offset)
    where exists (
      select 1 from eventlog.partition_owners o
      where o.group_id = ${groupId} and o.topic = c.topic and o.partition = c.partition
        and o.member_id = ${memberId})
    on conflict (group_id, topic, partition)
      do update set next_offset = excluded.next_offset, committed_at = excluded.committed_at
    returning topic, partition`.execute(db)
  return new Set(rows.map((row) => partitionKey(row.topic, row.partition)))
}

export async function committedOffset(
  db: AnyDatabase,
  groupId: string,
  partition: TopicPartition,
): Promise<{ committed: number | null; end: number }> {
  const { rows } = await sql<{ committed: string | null; end: string }>`
    select c.next_offset as committed, p.next_offset as end
    from eventlog.partitions p
    left join eventlog.committed_offsets c
      on c.group_id = ${groupId} and c.topic = p.topic and c.partition = p.partition
    where p.topic = ${partition.topic} and p.partition = ${partition.partition}`.execute(db)
  const row = rows[0]
  if (!row) throw unknownTopic(partition.topic)
  return { committed: row.committed === null ? null : Number(row.committed), end: Number(row.end) }
}

export async function releasePartition(
  db: AnyDatabase,
  groupId: string,
  memberId: string,
  partition: TopicPartition,
): Promise<void> {
  await sql`delete from eventlog.partition_owners
    where group_id = ${groupId} and topic = ${partition.topic} and partition = ${partition.partition}
      and member_id = ${memberId}`.execute(db)
}

/** Leaving deletes the member; its remaining partitions go with it (on delete cascade). */
export async function leaveGroup(db: AnyDatabase, groupId: string, memberId: string): Promise<void> {
  await sql`delete from eventlog.group_members where group_id = ${groupId} and member_id = ${memberId}`.execute(
    db,
  )
}

export interface RebalanceResult {
  /** Partitions this member owns after the step (claimed ones included, ones to release too). */
  readonly owned: TopicPartition[]
  /** Owned partitions beyond this member's quota: hand them back after their batch returns. */
  readonly release: TopicPartition[]
  /** The member row was created by this step (first join, or rejoin after its lease expired). */
  readonly joined: boolean
}

/**
 * One membership step of a member, under the group's row lock: renew the lease, drop members whose
 * lease expired (their partitions become free), then claim free partitions of its topics up to its
 * quota, or name what exceeds it.
 */
export async function rebalanceMember(
  db: AnyDatabase,
  groupId: string,
  memberId: string,
  topics: readonly string[],
  sessionTimeoutMs: number,
): Promise<RebalanceResult> {
  return db.transaction().execute(async (trx) => {
    await sql`insert into eventlog.consumer_groups (group_id) values (${groupId})
      on conflict (group_id) do nothing`.execute(trx)
    await sql`select group_id from eventlog.consumer_groups where group_id = ${groupId} for update`.execute(
      trx,
    )
    await sql`delete from eventlog.group_members
      where group_id = ${groupId} and expires_at < now() and member_id <> ${memberId}`.execute(trx)
    const { rows: upserted } = await sql<{ joined: boolean }>`
      insert into eventlog.group_members (group_id, member_id, topics, expires_at)
      values (${groupId}, ${memberId}, ${[...topics]}::text[],
              now() + ${sessionTimeoutMs}::int * interval '1 millisecond')
      on conflict (group_id, member_id) do update set expires_at = excluded.expires_at
      returning (xmax = 0) as joined`.execute(trx)
    const { rows: members } = await sql<{ member_id: string; topics: string[] }>`
      select member_id, topics from eventlog.group_members where group_id = ${groupId}`.execute(trx)
    const { rows: owners } = await sql<{ topic: string; partition: number; member_id: string }>`
      select topic, partition, member_id from eventlog.partition_owners where group_id = ${groupId}`.execute(
      trx,
    )
    const groupTopics = [...new Set(members.flatMap((member) => member.topics))]
    const counts = await topicPartitionCounts(trx, groupTopics)
    const partitionCount = [...counts.values()].reduce((sum, n) => sum + n, 0)

    const ownedBy = new Map<string, number>()
    const taken = new Set<string>()
    const mine: TopicPartition[] = []
    for (const owner of owners) {
      ownedBy.set(owner.member_id, (ownedBy.get(owner.member_id) ?? 0) + 1)
      taken.add(partitionKey(owner.topic, owner.partition))
      if (owner.member_id === memberId) mine.push({ topic: owner.topic, partition: owner.partition })
    }
    const quotas = partitionQuotas(
      members.map((member) => ({ memberId: member.member_id, owned: ownedBy.get(member.member_id) ?? 0 })),
      partitionCount,
    )
    const quota = quotas.get(memberId) ?? 0
    mine.sort(comparePartitions)

    if (mine.length >= quota) {
      return { owned: mine, release: mine.slice(quota), joined: upserted[0]?.joined === true }
    }
    const claims: TopicPartition[] = []
    for (const topic of [...topics].sort()) {
      const count = counts.get(topic) ?? 0
      for (let partition = 0; partition < count && mine.length + claims.length < quota; partition++) {
        if (!taken.has(partitionKey(topic, partition))) claims.push({ topic, partition })
      }
    }
    if (claims.length > 0) {
      await sql`insert into eventlog.partition_owners (group_id, topic, partition, member_id)
        select ${groupId}, c.topic, c.partition, ${memberId}
        from unnest(${claims.map((c) => c.topic)}::text[], ${claims.map((c) => c.partition)}::int[])
          as c(topic, partition)`.execute(trx)
    }
    return { owned: [...mine, ...claims], release: [], joined: upserted[0]?.joined === true }
  })
}

function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1
  return a.partition - b.partition
}
