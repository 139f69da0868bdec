import type { ArrivalPattern } from '../../../bench/simulator/src/arrivals.ts'
import { type KedaSourceSettings, kedaSourceDefaults } from '../../../bench/simulator/src/keda.ts'
import type { Scenario } from '../../../bench/simulator/src/simulate.ts'
import { type KpaSettings, knativeKpaDefaults } from '../../../local/src/serving/kpa.ts'

// A cluster whose only limit is the KPA: one always-on consumer with an unbounded in-flight window, so
// the concurrency the function sees is arrival rate x service time (Little's law) and the pod count is
// Knative's decision alone.
export function kpaOnlyScenario(
  arrivals: ArrivalPattern,
  durationSeconds: number,
  kpa: Partial<KpaSettings> = {},
): Scenario {
  return {
    name: 'kpa-only',
    arrivals,
    durationSeconds,
    function: {
      kpa: { ...knativeKpaDefaults, ...kpa },
      serviceTimeMs: 100,
      podCapacity: 10_000,
      coldStartMs: 1_000,
    },
    source: {
      keda: { ...kedaSourceDefaults, minScale: 1, maxScale: 1, partitions: 1 },
      ordering: 'unordered',
      maxInFlightPerConsumer: 1_000_000,
      consumerEventsPerSecond: 1_000_000,
      consumerStartMs: 0,
      rebalancePauseMs: 0,
    },
  }
}

/** A cluster where the KafkaSource's KEDA scaling is what is under test: a fast, roomy function. */
export function kedaScenario(
  arrivals: ArrivalPattern,
  durationSeconds: number,
  keda: Partial<KedaSourceSettings> & { partitions: number },
  ordering: 'ordered' | 'unordered' = 'ordered',
): Scenario {
  return {
    name: 'keda',
    arrivals,
    durationSeconds,
    function: {
      kpa: { ...knativeKpaDefaults, minScale: 1 },
      serviceTimeMs: 5,
      podCapacity: 10_000,
      coldStartMs: 0,
    },
    source: {
      keda: { ...kedaSourceDefaults, ...keda },
      ordering,
      maxInFlightPerConsumer: 50,
      consumerEventsPerSecond: 250,
      consumerStartMs: 2_000,
      rebalancePauseMs: 3_000,
    },
  }
}
