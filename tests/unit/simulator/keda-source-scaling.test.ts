import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decideSourceReplicas,
  initialKedaState,
  KedaSettingsError,
  type KedaSourceSettings,
  kedaSourceDefaults,
  simulate,
  validateKedaSettings,
} from '../../../bench/simulator/src/index.ts'
import { kedaScenario } from './simulated-cluster.ts'

// KEDA's lag-threshold scaling of a KafkaSource (reference: knative-kafkasource.md): replicas =
// ceil(lag / lag-threshold), capped at max-scale and at the partition count, 0 -> 1 on any lag, back to
// zero only after the cooldown period without lag.

const settings = (overrides: Partial<KedaSourceSettings> = {}): KedaSourceSettings => ({
  ...kedaSourceDefaults,
  partitions: 12,
  ...overrides,
})

describe('KEDA decision', () => {
  it('wants ceil(lag / lag-threshold) replicas', () => {
    const decide = (lag: number) =>
      decideSourceReplicas({
        settings: settings({ lagThreshold: 50 }),
        lag,
        currentReplicas: 1,
        nowMs: 0,
        state: initialKedaState,
      }).replicas
    expect(decide(1)).toBe(1)
    expect(decide(50)).toBe(1)
    expect(decide(51)).toBe(2)
    expect(decide(449)).toBe(9)
  })

  it('never exceeds max-scale or the partition count, whatever the lag', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 30 }),
        (partitions, maxScale, lagThreshold, lags) => {
          const s = settings({ partitions, maxScale, lagThreshold })
          let state = initialKedaState
          let replicas = 0
          lags.forEach((lag, i) => {
            const decision = decideSourceReplicas({
              settings: s,
              lag,
              currentReplicas: replicas,
              nowMs: i * 10_000,
              state,
            })
            state = decision.state
            replicas = decision.replicas
            expect(replicas).toBeLessThanOrEqual(Math.min(partitions, maxScale))
            if (lag > 0) expect(replicas).toBeGreaterThanOrEqual(1)
          })
        },
      ),
    )
  })

  it('activates from zero on any lag and returns to zero only after the cooldown without lag', () => {
    const s = settings({ cooldownPeriodMs: 30_000 })
    const first = decideSourceReplicas({
      settings: s,
      lag: 1,
      currentReplicas: 0,
      nowMs: 0,
      state: initialKedaState,
    })
    expect(first.replicas).toBe(1)
    const idle = (nowMs: number) =>
      decideSourceReplicas({ settings: s, lag: 0, currentReplicas: 1, nowMs, state: first.state }).replicas
    expect(idle(10_000)).toBe(1)
    expect(idle(29_999)).toBe(1)
    expect(idle(30_000)).toBe(0)
  })

  it('scales up at once but down only to the highest recommendation of the HPA stabilization window', () => {
    const s = settings({ lagThreshold: 10, hpaScaleDownStabilizationMs: 300_000 })
    const up = decideSourceReplicas({
      settings: s,
      lag: 80,
      currentReplicas: 1,
      nowMs: 0,
      state: initialKedaState,
    })
    expect(up.replicas).toBe(8)
    const soon = decideSourceReplicas({
      settings: s,
      lag: 5,
      currentReplicas: 8,
      nowMs: 60_000,
      state: up.state,
    })
    expect(soon.replicas).toBe(8)
    const later = decideSourceReplicas({
      settings: s,
      lag: 5,
      currentReplicas: 8,
      nowMs: 300_000,
      state: soon.state,
    })
    expect(later.replicas).toBe(1)
  })

  it('refuses impossible settings with a typed error', () => {
    expect(() => validateKedaSettings(settings({ lagThreshold: 0 }))).toThrow(KedaSettingsError)
    expect(() => validateKedaSettings(settings({ minScale: 5, maxScale: 2 }))).toThrow(/minScale/)
    expect(() => validateKedaSettings(settings({ partitions: 0 }))).toThrow(/partitions/)
  })
})

describe('simulator: KEDA-scaled KafkaSource', () => {
  const burst = {
    kind: 'burst',
    baseEventsPerSecond: 1,
    burstEventsPerSecond: 3000,
    startSeconds: 30,
    durationSeconds: 30,
  } as const

  it('never runs more consumers than partitions, even when max-scale allows more', () => {
    const result = simulate(kedaScenario(burst, 200, { partitions: 3, maxScale: 50, lagThreshold: 10 }))
    expect(result.summary.maxConsumers).toBe(3)
    expect(result.timeline.every((p) => p.consumers <= 3)).toBe(true)
  })

  it('never runs more consumers than max-scale', () => {
    const result = simulate(kedaScenario(burst, 200, { partitions: 12, maxScale: 2, lagThreshold: 10 }))
    expect(result.summary.maxConsumers).toBe(2)
  })

  it('starts at zero consumers, activates on the first lag, drains everything and goes back to zero', () => {
    const result = simulate(
      kedaScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 0,
          burstEventsPerSecond: 100,
          startSeconds: 15,
          durationSeconds: 10,
        },
        120,
        { partitions: 6, cooldownPeriodMs: 30_000, pollingIntervalMs: 10_000 },
      ),
    )
    expect(result.timeline.filter((p) => p.atSeconds < 15).every((p) => p.consumers === 0)).toBe(true)
    expect(result.summary.maxConsumers).toBeGreaterThanOrEqual(1)
    expect(result.summary.completed).toBe(result.summary.arrived)
    expect(result.timeline.at(-1)!.consumers).toBe(0)
  })
})
