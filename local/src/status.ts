// The live status of a local system: per KafkaSource its lag and delivery counters, per function its
// processes (what `kubectl get pods -w` and the KafkaSource's consumer lag show on a cluster), the Task
// API's outbox, each KafkaSink and each PingSource.
import type { KafkaSinkStats } from './eventing/kafka-sink.ts'
import type { KafkaSourceStats } from './eventing/kafka-source.ts'
import type { PingSourceStats } from './eventing/ping-source.ts'
import type { RecentDelivery } from './recent-deliveries.ts'
import type { LocalSystem } from './system.ts'

/** A KafkaSource: its dispatcher's counters, its ordering and its lag. */
export interface SourceStatus extends KafkaSourceStats {
  readonly name: string
  readonly ordering: 'ordered' | 'unordered'
  readonly lag: number
  /** The lag of each partition of its topics (the sum is `lag`); empty when the log did not answer. */
  readonly partitions: readonly PartitionLagStatus[]
}

export interface PartitionLagStatus {
  readonly topic: string
  readonly partition: number
  readonly lag: number
}

export interface FunctionStatus {
  readonly name: string
  readonly processes: number
  readonly ready: number
  readonly inFlight: number
  readonly buffered: number
  readonly coldStarts: number
  readonly lastColdStartMs: number | null
  readonly rssMb: number
}

export interface OutboxStatus {
  /** Events written by the Task API and not yet on the event log; null when the database did not answer. */
  readonly pending: number | null
  readonly oldestPendingSeconds: number | null
  /** The relay publishing them; null when the API runs none. */
  readonly relay: {
    readonly running: boolean
    readonly log: string
    readonly consecutiveFailures: number
    readonly lastError: string | null
  } | null
}

export interface PingStatus extends PingSourceStats {
  readonly name: string
  /** ISO-8601 times; null before the first tick, or once stopped. */
  readonly lastTick: string | null
  readonly nextTick: string | null
}

/**
 * Where a tool reads the system's event log (e.g. `npm run dead-letters`): the Kafka brokers, or the
 * database of the embedded log when it needs no credentials (the embedded PGlite on loopback); with a
 * DATABASE_URL of its own the tool takes it from its environment.
 */
export type EventLogAddress =
  | { readonly kind: 'kafka'; readonly brokers: readonly string[] }
  | { readonly kind: 'embedded'; readonly database: string | null }

export interface SystemStatus {
  readonly url: string
  readonly eventLog: 'kafka' | 'embedded'
  readonly eventLogAddress?: EventLogAddress
  readonly outbox?: OutboxStatus
  readonly sources: readonly SourceStatus[]
  readonly functions: readonly FunctionStatus[]
  readonly sinks: readonly ({ readonly name: string } & KafkaSinkStats)[]
  readonly pings: readonly (Omit<PingStatus, 'lastTick' | 'nextTick'> & Partial<PingStatus>)[]
  /** The KafkaSources' last deliveries, newest first. */
  readonly recentDeliveries?: readonly RecentDelivery[]
}

export async function collectStatus(system: LocalSystem): Promise<SystemStatus> {
  const sources = await Promise.all(
    system.sources.map(async (source): Promise<SourceStatus> => {
      const partitions = await system.eventLog
        .lag(source.spec.consumerGroup, source.spec.topics)
        .then((all) => all.map(({ topic, partition, lag }) => ({ topic, partition, lag })))
        .catch(() => null)
      const lag = partitions === null ? Number.NaN : partitions.reduce((sum, p) => sum + p.lag, 0)
      return {
        name: source.spec.name,
        ordering: source.spec.ordering,
        lag,
        partitions: partitions ?? [],
        ...source.stats(),
      }
    }),
  )
  const functions = [...system.functions.values()].map((host): FunctionStatus => {
    const processes = host.processes()
    const stats = host.stats()
    const coldStarts = host.coldStarts()
    return {
      name: host.name,
      processes: processes.filter((p) => p.state !== 'exited').length,
      ready: processes.filter((p) => p.state === 'ready').length,
      inFlight: stats.inFlight,
      buffered: stats.buffered,
      coldStarts: coldStarts.length,
      lastColdStartMs: coldStarts.at(-1) ?? null,
      rssMb: Math.round(processes.reduce((sum, p) => sum + (p.rssBytes ?? 0), 0) / 2 ** 20),
    }
  })
  return {
    url: system.url.href,
    eventLog: system.eventLog.kind,
    eventLogAddress: eventLogAddress(system),
    outbox: await outboxStatus(system),
    sources,
    functions,
    sinks: [...system.sinks].map(([name, sink]) => ({ name, ...sink.stats() })),
    pings: [...system.pings].map(([name, ping]) => ({
      name,
      ...ping.stats(),
      lastTick: ping.lastTick()?.toISOString() ?? null,
      nextTick: ping.nextTick()?.toISOString() ?? null,
    })),
    recentDeliveries: system.recentDeliveries.list(),
  }
}

function eventLogAddress(system: LocalSystem): EventLogAddress {
  const log = system.eventLog
  if ('brokers' in log && Array.isArray(log.brokers)) return { kind: 'kafka', brokers: [...log.brokers] }
  const url = URL.canParse(system.databaseUrl) ? new URL(system.databaseUrl) : undefined
  return { kind: 'embedded', database: url !== undefined && url.password === '' ? url.href : null }
}

/** The backlog as the API's own gauges read it (one query, shared with /metrics), and its relay. */
async function outboxStatus(system: LocalSystem): Promise<OutboxStatus> {
  const gauge = async (name: string) => {
    const metric = system.api.metrics.getSingleMetric(name)
    const value = metric === undefined ? undefined : (await metric.get()).values[0]?.value
    return value ?? null
  }
  // Read together: the API shares one in-flight backlog query among the three gauges.
  const [up, pendingRead, oldestRead] = await Promise.all([
    gauge('outbox_backlog_query_up').catch(() => 0),
    gauge('outbox_backlog_events'),
    gauge('outbox_oldest_unpublished_age_seconds'),
  ])
  const [pending, oldest] = up === 1 ? [pendingRead, oldestRead] : [null, null]
  const relay = system.api.relay?.status()
  return {
    pending,
    oldestPendingSeconds: oldest === null ? null : Math.round(oldest),
    relay:
      relay === undefined
        ? null
        : {
            running: relay.running,
            log: relay.kafka,
            consecutiveFailures: relay.consecutiveFailures,
            lastError: relay.lastError ?? null,
          },
  }
}

/** A compact table for a terminal. */
export function renderStatus(status: SystemStatus): string {
  const sourceRows = status.sources.map((s) => [
    s.name,
    s.ordering,
    String(s.lag),
    String(s.inFlight),
    String(s.delivered),
    String(s.retried),
    String(s.deadLettered),
    String(s.dropped),
    String(s.refused),
    laggingPartitions(s.partitions),
  ])
  const recentRows = (status.recentDeliveries ?? [])
    .slice(0, recentShown)
    .map((d) => [
      d.time.slice(11, 23),
      d.source,
      d.type,
      d.status === null ? 'no answer' : String(d.status),
      `${Math.round(d.ms)} ms`,
    ])
  const functionRows = status.functions.map((f) => [
    f.name,
    `${f.ready}/${f.processes}`,
    String(f.inFlight),
    String(f.buffered),
    String(f.coldStarts),
    f.lastColdStartMs === null ? '-' : `${f.lastColdStartMs} ms`,
    `${f.rssMb} MB`,
  ])
  const sinkRows = status.sinks.map((k) => [
    k.name,
    String(k.accepted),
    String(k.rejected),
    String(k.writeFailures),
    String(k.refused),
  ])
  const pingRows = status.pings.map((p) => [
    p.name,
    String(p.ticks),
    String(p.delivered),
    String(p.failed),
    p.lastTick ?? '-',
    p.nextTick ?? '-',
  ])
  return [
    `taskflow at ${status.url} (event log: ${status.eventLog})`,
    ...(status.outbox === undefined ? [] : [renderOutbox(status.outbox)]),
    table(
      [
        'source',
        'ordering',
        'lag',
        'in flight',
        'delivered',
        'retried',
        'dead-lettered',
        'dropped',
        'refused',
        'lag by partition',
      ],
      sourceRows,
    ),
    ...(recentRows.length === 0
      ? []
      : [table(['recent delivery', 'source', 'type', 'answer', 'took'], recentRows)]),
    table(
      ['function', 'ready/procs', 'in flight', 'buffered', 'cold starts', 'last cold start', 'rss'],
      functionRows,
    ),
    table(['KafkaSink', 'accepted', 'rejected', 'write failures', 'refused'], sinkRows),
    table(['PingSource', 'ticks', 'delivered', 'failed', 'last tick', 'next tick'], pingRows),
  ].join('\n\n')
}

/** Deliveries the table shows, newest first (the JSON has all the system keeps). */
const recentShown = 5

/** `p3=12 p7=1`: the partitions behind (topic-qualified when a source reads several), `-` when none. */
function laggingPartitions(partitions: readonly PartitionLagStatus[]): string {
  const topics = new Set(partitions.map((p) => p.topic))
  const behind = partitions
    .filter((p) => p.lag > 0)
    .map((p) => `${topics.size > 1 ? `${p.topic}:` : ''}p${p.partition}=${p.lag}`)
  return behind.length === 0 ? '-' : behind.join(' ')
}

function renderOutbox(outbox: OutboxStatus): string {
  const pending =
    outbox.pending === null
      ? 'pending unknown (database did not answer)'
      : `${outbox.pending} pending${outbox.pending > 0 ? `, oldest ${outbox.oldestPendingSeconds} s` : ''}`
  const relay =
    outbox.relay === null
      ? 'no relay'
      : `relay ${outbox.relay.running ? 'running' : 'stopped'}, event log ${outbox.relay.log}` +
        (outbox.relay.consecutiveFailures > 0
          ? `, ${outbox.relay.consecutiveFailures} failures in a row: ${outbox.relay.lastError ?? '?'}`
          : '')
  return `outbox: ${pending}; ${relay}`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
