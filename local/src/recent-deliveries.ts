// The last deliveries of the KafkaSources, for the console's "recent events": what `kubectl logs` of a
// cluster's dispatcher would show, kept as a small ring buffer. Fed by the dispatcher's own metrics hook
// (one final answer per delivery, retries included), so the dispatcher needs no second callback.
import type { DispatchMetrics } from './eventing/dispatch-metrics.ts'

export interface RecentDelivery {
  /** ISO-8601 time of the sink's final answer. */
  readonly time: string
  readonly source: string
  readonly type: string
  /** The sink's final HTTP status; null when it never answered (a network error). */
  readonly status: number | null
  /** delivered: 2xx; failed: anything else (dead-lettered or dropped, see the source's counters). */
  readonly outcome: 'delivered' | 'failed'
  readonly ms: number
}

export interface RecentDeliveries {
  record(delivery: RecentDelivery): void
  /** Newest first. */
  list(): RecentDelivery[]
}

export function createRecentDeliveries(capacity = 50): RecentDeliveries {
  const ring: RecentDelivery[] = []
  let next = 0
  return {
    record(delivery) {
      if (ring.length < capacity) ring.push(delivery)
      else ring[next] = delivery
      next = (next + 1) % capacity
    },
    list() {
      const oldestFirst = ring.length < capacity ? ring : [...ring.slice(next), ...ring.slice(0, next)]
      return [...oldestFirst].reverse()
    },
  }
}

/** The dispatcher metrics, also noting each final answer in `recent`. */
export function recordingDeliveries(metrics: DispatchMetrics, recent: RecentDeliveries): DispatchMetrics {
  return {
    ...metrics,
    dispatched(source, status, eventType, ms) {
      metrics.dispatched(source, status, eventType, ms)
      recent.record({
        time: new Date().toISOString(),
        source: source.kn_kafkasource_name,
        type: eventType,
        status,
        outcome: status !== null && status >= 200 && status < 300 ? 'delivered' : 'failed',
        ms: Math.round(ms),
      })
    },
  }
}
