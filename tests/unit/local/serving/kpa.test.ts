import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ConcurrencySample,
  decideScale,
  effectiveTargetOf,
  initialKpaState,
  type KpaSettings,
  type KpaState,
  knativeKpaDefaults,
  panicWindowMsOf,
} from '../../../../local/src/serving/kpa.ts'

// Samples every 2 s (Knative's tick) holding `concurrency` over the last `spanMs` before `nowMs`.
function steady(concurrency: number, nowMs: number, spanMs: number, everyMs = 2_000): ConcurrencySample[] {
  const samples: ConcurrencySample[] = []
  for (let atMs = nowMs - spanMs + everyMs; atMs <= nowMs; atMs += everyMs)
    samples.push({ atMs, concurrency })
  return samples
}

function decide(
  samples: ConcurrencySample[],
  readyPods: number,
  nowMs: number,
  settings: Partial<KpaSettings> = {},
  state: KpaState = initialKpaState,
) {
  return decideScale({ settings: { ...knativeKpaDefaults, ...settings }, samples, readyPods, nowMs, state })
}

const minute = 60_000

describe('KPA effective target', () => {
  it('is target x utilization: Knative defaults give 70 in flight per pod', () => {
    expect(effectiveTargetOf(knativeKpaDefaults)).toBe(70)
  })

  it('is capped by containerConcurrency before utilization applies', () => {
    expect(effectiveTargetOf({ ...knativeKpaDefaults, containerConcurrency: 10 })).toBe(7)
  })

  it('uses the function target: audit-log (target 10, utilization 70) aims at 7 per pod', () => {
    expect(effectiveTargetOf({ ...knativeKpaDefaults, target: 10 })).toBe(7)
  })

  it('gives a 6 s panic window for the 60 s stable window', () => {
    expect(panicWindowMsOf(knativeKpaDefaults)).toBe(6_000)
  })
})

describe('KPA stable-window decisions', () => {
  const now = 10 * minute

  it.each([
    [70, 1],
    [71, 2],
    [140, 2],
    [350, 5],
  ])('a steady concurrency of %i wants %i pods with the defaults', (concurrency, pods) => {
    const decision = decide(steady(concurrency, now, minute), pods, now)
    expect(decision.desiredPods).toBe(pods)
    expect(decision.panic).toBe(false)
  })

  it('averages over the stable window: a short old spike counts for its share only', () => {
    const samples = steady(0, now, minute).map((sample, index) =>
      index < 3 ? { ...sample, concurrency: 700 } : sample,
    )
    // 3 samples of 700 among 30 average 70: one pod.
    expect(decide(samples, 1, now).desiredPods).toBe(1)
  })

  it('never goes below min-scale nor above max-scale', () => {
    expect(decide(steady(0, now, 2 * minute), 1, now, { minScale: 2 }).desiredPods).toBe(2)
    expect(decide(steady(7_000, now, minute), 3, now, { maxScale: 5 }).desiredPods).toBe(5)
  })

  it('scales down at most by max-scale-down-rate (halves) per decision', () => {
    expect(decide(steady(70, now, minute), 10, now).desiredPods).toBe(5)
  })

  it('keeps the highest desired count of the scale-down delay', () => {
    const settings = { scaleDownDelayMs: 30_000 }
    const busy = decide(steady(350, now, minute), 5, now, settings)
    expect(busy.desiredPods).toBe(5)
    const later = now + 10_000
    const quiet = decide(steady(140, later, minute), 5, later, settings, busy.state)
    expect(quiet.desiredPods).toBe(5)
    const muchLater = now + 40_000
    const settled = decide(steady(140, muchLater, minute), 5, muchLater, settings, quiet.state)
    expect(settled.desiredPods).toBe(2)
  })
})

describe('KPA panic mode', () => {
  const now = 10 * minute

  it('panics when the panic window wants twice the ready pods (200% threshold)', () => {
    // Quiet minute, then the last 6 s at 140 in flight: the panic window wants 2 pods for 1 ready.
    const samples = [...steady(0, now - 6_000, minute - 6_000), ...steady(140, now, 6_000)]
    const decision = decide(samples, 1, now)
    expect(decision.panic).toBe(true)
    expect(decision.desiredPods).toBe(2)
  })

  it('does not panic below twice the ready pods', () => {
    // 2 ready pods; the panic window wants ceil(210 / 70) = 3 < 4.
    const samples = [...steady(70, now - 6_000, minute - 6_000), ...steady(210, now, 6_000)]
    expect(decide(samples, 2, now).panic).toBe(false)
  })

  it('never scales down while panicking, and leaves panic after a stable window without the signal', () => {
    const burst = [...steady(0, now - 6_000, minute - 6_000), ...steady(700, now, 6_000)]
    const panicked = decide(burst, 1, now)
    expect(panicked.panic).toBe(true)
    expect(panicked.desiredPods).toBe(10)

    const calmer = now + 10_000
    const during = decide(steady(70, calmer, 6_000), 10, calmer, {}, panicked.state)
    expect(during.panic).toBe(true)
    expect(during.desiredPods).toBe(10)

    const after = now + minute
    const over = decide(steady(70, after, minute), 10, after, {}, during.state)
    expect(over.panic).toBe(false)
    expect(over.desiredPods).toBe(5)
  })
})

describe('KPA scale to zero', () => {
  const settings = { stableWindowMs: minute, scaleToZeroGracePeriodMs: 30_000 }

  it('keeps the last pod until a whole stable window without traffic plus the grace period', () => {
    const lastTraffic = 5 * minute
    const trafficThenSilence = (nowMs: number) => [
      { atMs: lastTraffic, concurrency: 1 },
      ...steady(0, nowMs, nowMs - lastTraffic),
    ]
    const afterWindow = lastTraffic + minute + 2_000
    expect(decide(trafficThenSilence(afterWindow), 1, afterWindow, settings).desiredPods).toBe(1)
    const afterGrace = lastTraffic + minute + 30_000
    expect(decide(trafficThenSilence(afterGrace), 1, afterGrace, settings).desiredPods).toBe(0)
  })

  it('stays at zero without traffic and wakes up on the first in-flight request', () => {
    const now = 10 * minute
    expect(decide(steady(0, now, minute), 0, now, settings).desiredPods).toBe(0)
    expect(
      decide([...steady(0, now - 2_000, minute), { atMs: now, concurrency: 1 }], 0, now).desiredPods,
    ).toBe(1)
  })

  it('never goes to zero with min-scale 1', () => {
    const now = 10 * minute
    expect(decide(steady(0, now, 3 * minute), 1, now, { ...settings, minScale: 1 }).desiredPods).toBe(1)
  })
})

describe('KPA invariants', () => {
  it('the decision stays within [min-scale, max-scale] for any load', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5_000 }), { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 20 }),
        fc.nat({ max: 3 }),
        fc.integer({ min: 1, max: 30 }),
        (loads, readyPods, minScale, maxScale) => {
          const now = 10 * minute
          const samples = loads
            .map((concurrency, index) => ({ atMs: now - index * 1_500, concurrency }))
            .reverse()
          const decision = decide(samples, readyPods, now, {
            minScale,
            maxScale: Math.max(minScale, maxScale),
          })
          expect(decision.desiredPods).toBeGreaterThanOrEqual(minScale)
          expect(decision.desiredPods).toBeLessThanOrEqual(Math.max(minScale, maxScale))
        },
      ),
    )
  })

  it('is pure: the same input gives the same decision', () => {
    const now = 10 * minute
    const samples = steady(300, now, minute)
    expect(decide(samples, 2, now)).toEqual(decide(samples, 2, now))
  })
})
