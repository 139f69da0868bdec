import { describe, expect, it } from 'vitest'
import { simulate, type TimelinePoint } from '../../../bench/simulator/src/index.ts'
import { kpaOnlyScenario } from './simulated-cluster.ts'

// The simulator replays Knative's documented KPA behaviour (reference: knative-serving-and-functions.md)
// through local/src/serving/kpa.ts. Concurrency = rate x 100 ms service time.

const steady = (eventsPerSecond: number) => ({ kind: 'steady', eventsPerSecond }) as const
const lastPods = (timeline: TimelinePoint[]) => timeline.at(-1)!.pods

describe('simulator: Knative KPA examples', () => {
  it('settles at ceil(concurrency / 70): target 100 x 70% utilization is 70 in flight per pod', () => {
    // 65, 130 and 150 in flight: one, two and three pods (100 per pod would give 1, 2, 2).
    expect(lastPods(simulate(kpaOnlyScenario(steady(650), 300)).timeline)).toBe(1)
    expect(lastPods(simulate(kpaOnlyScenario(steady(1300), 300)).timeline)).toBe(2)
    expect(lastPods(simulate(kpaOnlyScenario(steady(1500), 300)).timeline)).toBe(3)
  })

  it('follows the annotations: target 10 at 100% utilization gives one pod per 10 in flight', () => {
    const result = simulate(
      kpaOnlyScenario(steady(450), 300, { target: 10, targetUtilizationPercentage: 100 }),
    )
    expect(lastPods(result.timeline)).toBe(5)
  })

  it('panics when the panic window wants at least twice the ready pods', () => {
    // 60 in flight on one warm pod (min-scale 1: no cold-start backlog), then 130 (wants 2 = 2x ready).
    const doubling = simulate(
      kpaOnlyScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 600,
          burstEventsPerSecond: 1300,
          startSeconds: 120,
          durationSeconds: 60,
        },
        200,
        { minScale: 1 },
      ),
    )
    expect(
      doubling.timeline.filter((p) => p.atSeconds > 60 && p.atSeconds < 120).every((p) => !p.panic),
    ).toBe(true)
    expect(doubling.timeline.some((p) => p.atSeconds >= 120 && p.panic)).toBe(true)
  })

  it('does not panic when the panic window wants less than twice the ready pods', () => {
    // 200 in flight on three pods, then 250 (wants 4 < 2 x 3): the stable window scales, no panic.
    const result = simulate(
      kpaOnlyScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 2000,
          burstEventsPerSecond: 2500,
          startSeconds: 150,
          durationSeconds: 100,
        },
        250,
      ),
    )
    expect(result.timeline.filter((p) => p.atSeconds >= 150).some((p) => p.panic)).toBe(false)
    expect(lastPods(result.timeline)).toBe(4)
  })

  it('never scales down while in panic', () => {
    // A 30 s spike to 300 in flight, then back to 30: pods only grow until panic ends.
    const result = simulate(
      kpaOnlyScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 300,
          burstEventsPerSecond: 3000,
          startSeconds: 90,
          durationSeconds: 30,
        },
        400,
      ),
    )
    const inPanic = result.timeline.filter((p) => p.panic)
    expect(inPanic.length).toBeGreaterThan(30)
    for (let i = 1; i < result.timeline.length; i++) {
      const [before, now] = [result.timeline[i - 1]!, result.timeline[i]!]
      if (before.panic && now.panic) expect(now.pods).toBeGreaterThanOrEqual(before.pods)
    }
    // Once panic is over the stable window brings it back to one pod.
    expect(lastPods(result.timeline)).toBe(1)
  })

  it('goes to zero only after a stable window without traffic plus the grace period', () => {
    // Traffic for 60 s (10 in flight), then none: zero comes no sooner than 60 + 60 + 30 s.
    const result = simulate(
      kpaOnlyScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 0,
          burstEventsPerSecond: 100,
          startSeconds: 0,
          durationSeconds: 60,
        },
        300,
      ),
    )
    const firstZero = result.timeline.find((p) => p.atSeconds > 60 && p.pods === 0)
    expect(firstZero).toBeDefined()
    expect(firstZero!.atSeconds).toBeGreaterThanOrEqual(60 + 60 + 30)
    expect(firstZero!.atSeconds).toBeLessThanOrEqual(60 + 60 + 30 + 4)
    expect(
      result.timeline
        .filter((p) => p.atSeconds > 10 && p.atSeconds < firstZero!.atSeconds)
        .every((p) => p.pods >= 1),
    ).toBe(true)
  })

  it('holds events that reach a function at zero until a pod is ready instead of failing them', () => {
    const result = simulate(
      kpaOnlyScenario(
        {
          kind: 'burst',
          baseEventsPerSecond: 0,
          burstEventsPerSecond: 50,
          startSeconds: 200,
          durationSeconds: 10,
        },
        300,
      ),
    )
    expect(result.summary.completed).toBe(result.summary.arrived)
    // The first event waits through the 1 s cold start.
    expect(result.summary.maxLatencyMs).toBeGreaterThanOrEqual(1_000)
    expect(result.timeline.find((p) => p.atSeconds === 199)!.pods).toBe(0)
  })
})
