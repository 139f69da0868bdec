// Prometheus metrics of one API process. A registry per app (not prom-client's global one), so tests
// and the local runtime can run several apps in one process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { OutboxRelayObserver } from './outbox/outbox-relay.ts'

export type OutboxBacklog = { count: number; oldestAgeSeconds: number }

export type ApiMetrics = {
  registry: Registry
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  relayObserver: OutboxRelayObserver
}

export function createApiMetrics(options: { outboxBacklog: () => Promise<OutboxBacklog> }): ApiMetrics {
  const registry = new Registry()
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  // Both gauges are read from the database at scrape time, so every replica reports the shared backlog.
  let lastBacklog: Promise<OutboxBacklog | undefined> | undefined
  // A scrape while the database is down still answers (the HTTP metrics matter most then): the
  // backlog gauges keep their last value and outbox_backlog_query_up says the value is stale.
  const backlogOnce = (): Promise<OutboxBacklog | undefined> => {
    lastBacklog ??= options
      .outboxBacklog()
      .catch(() => undefined)
      .finally(() => {
        lastBacklog = undefined
      })
    return lastBacklog
  }
  new Gauge({
    name: 'outbox_backlog_query_up',
    help: '1 when this scrape could read the outbox backlog from the database, else 0',
    registers: [registry],
    async collect() {
      this.set((await backlogOnce()) === undefined ? 0 : 1)
    },
  })
  new Gauge({
    name: 'outbox_backlog_events',
    help: 'Outbox rows not yet acknowledged by Kafka',
    registers: [registry],
    async collect() {
      const backlog = await backlogOnce()
      if (backlog !== undefined) this.set(backlog.count)
    },
  })
  new Gauge({
    name: 'outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox row not yet acknowledged by Kafka (0 when none)',
    registers: [registry],
    async collect() {
      const backlog = await backlogOnce()
      if (backlog !== undefined) this.set(backlog.oldestAgeSeconds)
    },
  })
  const publishDuration = new Histogram({
    name: 'outbox_publish_duration_seconds',
    help: 'Duration of one relay send until the broker acknowledged it',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 30],
    registers: [registry],
  })
  const publishLag = new Histogram({
    name: 'outbox_commit_to_ack_seconds',
    help: 'Time from the commit that wrote an event to the broker acknowledging it',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600],
    registers: [registry],
  })
  const published = new Counter({
    name: 'outbox_published_events_total',
    help: 'Events acknowledged by Kafka',
    registers: [registry],
  })
  const publishErrors = new Counter({
    name: 'outbox_publish_errors_total',
    help: 'Relay sends that failed (the rows stay in the outbox and are retried)',
    registers: [registry],
  })
  const relayQueryDuration = new Histogram({
    name: 'outbox_relay_query_seconds',
    help: 'Database statements of the outbox relay: select (a round: marks the batch sent before, reads the next) and mark (sent rows marked on their own before the relay idles)',
    labelNames: ['query'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })
  const relayObserver: OutboxRelayObserver = {
    queried(query, seconds) {
      relayQueryDuration.observe({ query }, seconds)
    },
    published(records, sendSeconds) {
      publishDuration.observe({ outcome: 'acked' }, sendSeconds)
      published.inc(records.length)
      const now = Date.now()
      for (const record of records) publishLag.observe(Math.max(0, (now - record.createdAt.getTime()) / 1000))
    },
    failed(_error, sendSeconds) {
      publishDuration.observe({ outcome: 'failed' }, sendSeconds)
      publishErrors.inc()
    },
  }
  return { registry, httpRequestDuration, relayObserver }
}
