// The live status of a local system: per KafkaSource its lag and delivery counters, per function its
// processes (what `kubectl get pods -w` and the KafkaSource's consumer lag show on a cluster).
import type { LocalSystem } from './system.ts'

export interface SourceStatus {
  readonly name: string
  readonly ordering: 'ordered' | 'unordered'
  readonly lag: number
  readonly inFlight: number
  readonly delivered: number
  readonly retried: number
  readonly deadLettered: number
  readonly dropped: number
  /** Deliveries refused for the sender (401/403): sender identity misconfigured. */
  readonly refused: number
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

export interface SystemStatus {
  readonly url: string
  readonly eventLog: 'kafka' | 'embedded'
  readonly sources: readonly SourceStatus[]
  readonly functions: readonly FunctionStatus[]
  readonly sinks: readonly {
    name: string
    accepted: number
    rejected: number
    writeFailures: number
    refused: number
  }[]
  readonly pings: readonly { name: string; ticks: number; delivered: number; failed: number }[]
}

export async function collectStatus(system: LocalSystem): Promise<SystemStatus> {
  const sources = await Promise.all(
    system.sources.map(async (source): Promise<SourceStatus> => {
      const lag = await system.eventLog
        .lag(source.spec.consumerGroup, source.spec.topics)
        .then((partitions) => partitions.reduce((sum, p) => sum + p.lag, 0))
        .catch(() => Number.NaN)
      return { name: source.spec.name, ordering: source.spec.ordering, lag, ...source.stats() }
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
    sources,
    functions,
    sinks: [...system.sinks].map(([name, sink]) => ({ name, ...sink.stats() })),
    pings: [...system.pings].map(([name, ping]) => ({ name, ...ping.stats() })),
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
  return [
    `taskflow at ${status.url} (event log: ${status.eventLog})`,
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
      ],
      sourceRows,
    ),
    table(
      ['function', 'ready/procs', 'in flight', 'buffered', 'cold starts', 'last cold start', 'rss'],
      functionRows,
    ),
  ].join('\n\n')
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
