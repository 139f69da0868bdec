// What a function did with each event, as Prometheus metrics at GET /metrics (served by serve.ts; the
// runtime's own faas_* metrics move to /metrics/runtime). One registry per process, kept under a global
// symbol because the launcher (vendor/serve.js) and the function (build/index.js) are separate bundles.
import { Counter, Histogram, Registry } from 'prom-client'
import { verdictForStatus } from '../../platform/src/knative-delivery.ts'
import { functionMetricsKey } from './metrics-slot.ts'

/** How an invocation ended, from its status as Knative's dispatcher reads it. */
export type EventOutcome = 'done' | 'rejected' | 'refused' | 'retry'

export function outcomeOf(status: number): EventOutcome {
  if (status < 300) return 'done'
  if (status === 401 || status === 403) return 'refused'
  if (verdictForStatus(status) === 'retry') return 'retry'
  return 'rejected'
}

export type FunctionMetrics = {
  readonly registry: Registry
  observeEvent(eventType: string, status: number, seconds: number): void
}

type Holder = { [functionMetricsKey]?: FunctionMetrics }

/** This process's function metrics, created on first use with `function` as a label of every series. */
export function functionMetrics(functionName: string): FunctionMetrics {
  const holder = globalThis as Holder
  const existing = holder[functionMetricsKey]
  if (existing !== undefined) return existing
  const registry = new Registry()
  registry.setDefaultLabels({ function: functionName })
  const events = new Counter({
    name: 'taskflow_function_events_total',
    help: 'CloudEvents handled by the function, by type and outcome (done, rejected, refused, retry)',
    labelNames: ['cloudevents_type', 'outcome'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'taskflow_function_event_duration_seconds',
    help: 'Time from the runtime handing the function an event to its answer',
    labelNames: ['cloudevents_type', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  // One pair of labelled series per type and outcome, found once: no label hashing per event.
  const series = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>()
  const metrics: FunctionMetrics = {
    registry,
    observeEvent(eventType, status, seconds) {
      const outcome = outcomeOf(status)
      const key = `${eventType}\n${outcome}`
      let pair = series.get(key)
      if (pair === undefined) {
        pair = { count: events.labels(eventType, outcome), time: duration.labels(eventType, outcome) }
        series.set(key, pair)
      }
      pair.count.inc()
      pair.time.observe(seconds)
    },
  }
  holder[functionMetricsKey] = metrics
  return metrics
}
