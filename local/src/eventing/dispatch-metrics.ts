// The metrics Knative's KafkaSource dispatcher exports (eventing-kafka-broker data-plane, Metrics.java:
// `kn.eventing.dispatch.latency`, `kn.eventing.process.latency`, `kn.eventing.dispatch.in_flight_requests`,
// in milliseconds with SLO buckets 50/100/500/1000/5000/10000), under the names Micrometer gives them in
// Prometheus, so one dashboard and one alert rule read the local emulation and a cluster alike.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { KafkaSourceStats } from './kafka-source.ts'

const latencyBucketsMs = [50, 100, 500, 1000, 5000, 10000]

/** Knative's resource tags for a KafkaSource (`kn.<kind>.name`, `kn.<kind>.namespace`) and its group. */
export type SourceLabels = {
  kn_kafkasource_name: string
  kn_kafkasource_namespace: string
  messaging_consumer_group_name: string
}

export type DispatchMetrics = {
  /** From the start of a delivery to the sink's final answer (retries included), by status and type. */
  dispatched(source: SourceLabels, status: number | null, eventType: string, ms: number): void
  /** From the record's arrival in the dispatcher to the start of its delivery. */
  processed(source: SourceLabels, eventType: string, ms: number): void
  /** Reads a source's counters at each scrape (in flight, and the outcomes Knative has no metric for). */
  trackSource(source: SourceLabels, read: () => KafkaSourceStats): () => void
}

// Outcomes Knative's dispatcher logs but does not count: taskflow's own names, local only (on a
// cluster the dashboard reads dead letters from the dead-letters topic's offsets instead).
const outcomeCounters = [
  [
    'retried',
    'taskflow_kafkasource_retries_total',
    'Redelivery attempts after a retryable answer or a network error',
  ],
  ['deadLettered', 'taskflow_kafkasource_dead_letters_total', 'Events sent to the dead-letter sink'],
  [
    'dropped',
    'taskflow_kafkasource_dropped_total',
    'Events that failed with no dead-letter sink, or whose dead-letter sink failed too',
  ],
  ['refused', 'taskflow_kafkasource_refused_total', 'Deliveries the sink refused for their sender (401/403)'],
] as const

export function createDispatchMetrics(registry: Registry): DispatchMetrics {
  const sourceLabels = [
    'kn_kafkasource_name',
    'kn_kafkasource_namespace',
    'messaging_consumer_group_name',
  ] as const
  const dispatchLatency = new Histogram({
    name: 'kn_eventing_dispatch_latency_milliseconds',
    help: 'The time spent dispatching an event to its sink (Knative kn.eventing.dispatch.latency)',
    labelNames: [...sourceLabels, 'http_response_status_code', 'cloudevents_type'],
    buckets: latencyBucketsMs,
    registers: [registry],
  })
  const processLatency = new Histogram({
    name: 'kn_eventing_process_latency_milliseconds',
    help: 'The time spent processing an event before its dispatch (Knative kn.eventing.process.latency)',
    labelNames: [...sourceLabels, 'cloudevents_type'],
    buckets: latencyBucketsMs,
    registers: [registry],
  })
  const readers = new Map<string, { labels: SourceLabels; read: () => KafkaSourceStats }>()
  new Gauge({
    name: 'kn_eventing_dispatch_in_flight_requests',
    help: 'Events dispatched to a sink and not answered yet (Knative kn.eventing.dispatch.in_flight_requests)',
    labelNames: sourceLabels,
    registers: [registry],
    collect() {
      this.reset()
      for (const { labels, read } of readers.values()) this.set(labels, read().inFlight)
    },
  })
  for (const [field, name, help] of outcomeCounters) {
    new Counter({
      name,
      help,
      labelNames: sourceLabels,
      registers: [registry],
      // The dispatcher keeps the running totals; a scrape copies them (reset + inc sets the value).
      collect() {
        this.reset()
        for (const { labels, read } of readers.values()) this.inc(labels, read()[field])
      },
    })
  }
  // The labelled series of each source, status and type, found once: the dispatcher observes twice per
  // event, and prom-client would otherwise hash the label object on every call.
  const series = new Map<string, { observe(value: number): void }>()
  const seriesOf = (key: string, make: () => { observe(value: number): void }) => {
    let found = series.get(key)
    if (found === undefined) {
      found = make()
      series.set(key, found)
    }
    return found
  }
  const sourceKey = (source: SourceLabels) =>
    `${source.kn_kafkasource_namespace}/${source.kn_kafkasource_name}`
  return {
    dispatched(source, status, eventType, ms) {
      // No answer at all (a network error): Knative tags only the event type then; "0" keeps one series set.
      const code = String(status ?? 0)
      seriesOf(`d\n${sourceKey(source)}\n${code}\n${eventType}`, () =>
        dispatchLatency.labels({ ...source, http_response_status_code: code, cloudevents_type: eventType }),
      ).observe(ms)
    },
    processed(source, eventType, ms) {
      seriesOf(`p\n${sourceKey(source)}\n${eventType}`, () =>
        processLatency.labels({ ...source, cloudevents_type: eventType }),
      ).observe(ms)
    },
    trackSource(source, read) {
      const key = sourceKey(source)
      readers.set(key, { labels: source, read })
      return () => readers.delete(key)
    },
  }
}
