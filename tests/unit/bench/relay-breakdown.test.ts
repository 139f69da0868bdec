import { describe, expect, it } from 'vitest'
import { createApiMetrics } from '../../../api/src/metrics.ts'
import { relayBreakdown, serverRequestQuantiles } from '../../../bench/api/relay-breakdown.ts'

const metricsOf = () => createApiMetrics({ outboxBacklog: async () => ({ count: 0, oldestAgeSeconds: 0 }) })

describe('relayBreakdown', () => {
  it('counts only what the relay did between the two snapshots', async () => {
    const { registry, relayObserver } = metricsOf()
    // Before: one slow round that must not be counted.
    relayObserver.queried?.('select', 0.5)
    relayObserver.published?.([{ createdAt: new Date(Date.now() - 10_000) }], 0.5)
    // A copy, as the benchmark gets it over IPC: prom-client hands out its live counter objects.
    const before = structuredClone(await registry.getMetricsAsJSON())

    for (let round = 0; round < 4; round += 1) {
      relayObserver.queried?.('select', 0.002)
      relayObserver.published?.(
        Array.from({ length: 10 }, () => ({ createdAt: new Date() })),
        0.004,
      )
      relayObserver.queried?.('mark', 0.001)
    }
    relayObserver.failed?.(new Error('broker gone'), 1)
    const breakdown = relayBreakdown(before, await registry.getMetricsAsJSON())

    expect(breakdown).toMatchObject({
      selects: 4,
      selectMeanMs: 2,
      sends: 4,
      sendMeanMs: 4,
      eventsPerSend: 10,
      marks: 4,
      markMeanMs: 1,
    })
    // All 40 events were acknowledged within a millisecond or so of their creation: the first bucket
    // (1 ms) or the next (2.5 ms) on a slow machine, never the 10 s of the round before the snapshot.
    expect(breakdown.commitToAckP99Ms).toBeLessThanOrEqual(2.5)
  })

  it('reports no rounds as zero counts and unknown percentiles', async () => {
    const { registry } = metricsOf()
    const snapshot = await registry.getMetricsAsJSON()
    const breakdown = relayBreakdown(snapshot, snapshot)
    expect(breakdown).toMatchObject({ selects: 0, sends: 0, eventsPerSend: 0, selectMeanMs: 0 })
    expect(breakdown.commitToAckP50Ms).toBeNaN()
  })
})

describe('serverRequestQuantiles', () => {
  it('reads the p50 and p99 buckets of the requests between the two snapshots', async () => {
    const { registry, httpRequestDuration } = metricsOf()
    const labels = { method: 'POST', route: '/tasks', status: '201' }
    httpRequestDuration.observe(labels, 3) // before: not counted
    const before = structuredClone(await registry.getMetricsAsJSON())
    for (let i = 0; i < 98; i++) httpRequestDuration.observe(labels, 0.002)
    httpRequestDuration.observe({ ...labels, status: '400' }, 0.02)
    httpRequestDuration.observe(labels, 0.2)
    const quantiles = serverRequestQuantiles(before, await registry.getMetricsAsJSON())
    // 98 of 100 in the 2.5 ms bucket; the 99th request is the one of 20 ms (25 ms bucket).
    expect(quantiles).toEqual({ p50Ms: 2.5, p99Ms: 25 })
  })
})
