// Where the 201 -> Kafka time goes, from the API's own relay histograms (outbox_* metrics) read before
// and after the open loop: how many rounds the relay ran, what one select, send and mark cost on
// average, how many events a send carried, and commit -> ack by histogram bucket.
import type { MetricsSnapshot } from './api-server.ts'

export interface RelayBreakdown {
  readonly selects: number
  readonly selectMeanMs: number
  readonly sends: number
  readonly sendMeanMs: number
  readonly eventsPerSend: number
  readonly marks: number
  readonly markMeanMs: number
  /** Upper bounds of the buckets holding the 50th and 99th percentiles (Prometheus buckets, not exact). */
  readonly commitToAckP50Ms: number
  readonly commitToAckP99Ms: number
}

type Sample = { metricName?: string; value: number; labels: Record<string, string | number | undefined> }

function samples(snapshot: MetricsSnapshot, name: string): Sample[] {
  return (snapshot.find((metric) => metric.name === name)?.values ?? []) as Sample[]
}

function sumOf(
  snapshot: MetricsSnapshot,
  name: string,
  series: string,
  labels: Record<string, string> = {},
): number {
  return samples(snapshot, name)
    .filter(
      (sample) =>
        (sample.metricName ?? name) === series &&
        Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
    )
    .reduce((total, sample) => total + sample.value, 0)
}

/** Cumulative bucket counts by upper bound (ms), after minus before. */
function bucketDelta(before: MetricsSnapshot, after: MetricsSnapshot, name: string): [number, number][] {
  const counts = (snapshot: MetricsSnapshot) => {
    const byBound = new Map<number, number>()
    for (const sample of samples(snapshot, name)) {
      if (sample.metricName !== `${name}_bucket`) continue
      const le = sample.labels.le
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le) * 1000
      byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value)
    }
    return byBound
  }
  const was = counts(before)
  return [...counts(after)]
    .map(([bound, count]): [number, number] => [bound, count - (was.get(bound) ?? 0)])
    .sort((a, b) => a[0] - b[0])
}

function bucketQuantile(buckets: readonly [number, number][], quantile: number): number {
  const total = buckets.at(-1)?.[1] ?? 0
  if (total === 0) return Number.NaN
  const wanted = quantile * total
  return buckets.find(([, cumulative]) => cumulative >= wanted)?.[0] ?? Number.POSITIVE_INFINITY
}

const round2 = (value: number) => Math.round(value * 100) / 100

export function relayBreakdown(before: MetricsSnapshot, after: MetricsSnapshot): RelayBreakdown {
  const delta = (name: string, series: string, labels?: Record<string, string>) =>
    sumOf(after, name, series, labels) - sumOf(before, name, series, labels)
  const query = 'outbox_relay_query_seconds'
  const send = 'outbox_publish_duration_seconds'
  const selects = delta(query, `${query}_count`, { query: 'select' })
  const marks = delta(query, `${query}_count`, { query: 'mark' })
  const sends = delta(send, `${send}_count`, { outcome: 'acked' })
  const events = delta('outbox_published_events_total', 'outbox_published_events_total')
  const meanMs = (seconds: number, count: number) => (count === 0 ? 0 : round2((seconds * 1000) / count))
  const lag = bucketDelta(before, after, 'outbox_commit_to_ack_seconds')
  return {
    selects,
    selectMeanMs: meanMs(delta(query, `${query}_sum`, { query: 'select' }), selects),
    sends,
    sendMeanMs: meanMs(delta(send, `${send}_sum`, { outcome: 'acked' }), sends),
    eventsPerSend: sends === 0 ? 0 : round2(events / sends),
    marks,
    markMeanMs: meanMs(delta(query, `${query}_sum`, { query: 'mark' }), marks),
    commitToAckP50Ms: bucketQuantile(lag, 0.5),
    commitToAckP99Ms: bucketQuantile(lag, 0.99),
  }
}

/** Events the relay had acknowledged by Kafka when the snapshot was taken. */
export function publishedEvents(snapshot: MetricsSnapshot): number {
  return sumOf(snapshot, 'outbox_published_events_total', 'outbox_published_events_total')
}

/**
 * The API's own view of its requests between two snapshots (http_request_duration_seconds, from the
 * request's first middleware to the response's end): set beside the client's latency, it separates time
 * spent in the API from time the request waited outside it (the client's own scheduling, the sockets).
 * Bucket upper bounds, not exact values.
 */
export function serverRequestQuantiles(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
): { p50Ms: number; p99Ms: number } {
  const buckets = bucketDelta(before, after, 'http_request_duration_seconds')
  return { p50Ms: bucketQuantile(buckets, 0.5), p99Ms: bucketQuantile(buckets, 0.99) }
}
