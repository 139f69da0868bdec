// Scenarios built from the repository's own YAML: each KafkaSource (sources/kafka-sources.yaml, KEDA
// annotations) paired with the Knative Service it delivers to (manifests/base, KPA annotations), read
// through sources/src/manifests.ts like the local runtime reads them.
import { type KpaSettings, knativeKpaDefaults } from '../../../local/src/serving/kpa.ts'
import type { KafkaSourceManifest, SystemManifests } from '../../../sources/src/manifests.ts'
import type { ArrivalPattern } from './arrivals.ts'
import { type KedaSourceSettings, kedaSourceDefaults } from './keda.ts'
import type { FunctionModel, Scenario, SourceModel } from './simulate.ts'

/**
 * What the YAML does not say and the simulator must assume. Each value is a stated assumption, shown
 * with the results (bench/README.md "Simulator").
 */
export interface ClusterAssumptions {
  /** Time one event takes in the function, per function name. */
  readonly serviceTimeMs: Readonly<Record<string, number>>
  /** Requests a pod runs at once when containerConcurrency is 0 (unlimited). */
  readonly podCapacityWhenUnlimited: number
  readonly coldStartMs: number
  /** Knative's ordered dispatcher: 50 records per 200 ms poll (reference: measured 250 events/s). */
  readonly orderedConsumerEventsPerSecond: number
  /** Knative's unordered dispatcher (reference: measured ~13,000 events/s). */
  readonly unorderedConsumerEventsPerSecond: number
  readonly consumerStartMs: number
  readonly rebalancePauseMs: number
}

export const defaultAssumptions: ClusterAssumptions = {
  // One INSERT for audit-log and reminders, preference reads plus a delivery record for the fanout.
  serviceTimeMs: { 'audit-log': 5, reminders: 5, 'notification-fanout': 20 },
  podCapacityWhenUnlimited: 50,
  coldStartMs: 3_000,
  orderedConsumerEventsPerSecond: 250,
  unorderedConsumerEventsPerSecond: 13_000,
  // KEDA scales the KafkaSource's `consumers`: a new consumer in an already running dispatcher pod,
  // then the group join.
  consumerStartMs: 2_000,
  rebalancePauseMs: 3_000,
}

export class ScenarioBuildError extends Error {
  override readonly name = 'ScenarioBuildError'
}

export interface SourceScenarioOptions {
  readonly arrivals: ArrivalPattern
  readonly durationSeconds: number
  readonly timelineBucketSeconds?: number
  readonly assumptions?: ClusterAssumptions
  /** Annotation values to try instead of the YAML's (what-if). */
  readonly kedaOverrides?: Partial<KedaSourceSettings>
  readonly kpaOverrides?: Partial<KpaSettings>
  readonly name?: string
}

/** The KafkaSource named `sourceName` and its sink Service, as a simulator scenario. */
export function scenarioForSource(
  manifests: SystemManifests,
  sourceName: string,
  options: SourceScenarioOptions,
): Scenario {
  const source = manifests.kafkaSources.find((s) => s.name === sourceName)
  if (!source) throw new ScenarioBuildError(`no KafkaSource named ${sourceName} in sources/`)
  const assumptions = options.assumptions ?? defaultAssumptions
  return {
    name: options.name ?? sourceName,
    arrivals: options.arrivals,
    durationSeconds: options.durationSeconds,
    timelineBucketSeconds: options.timelineBucketSeconds,
    function: functionModelOf(manifests, source, assumptions, options.kpaOverrides),
    source: sourceModelOf(manifests, source, assumptions, options.kedaOverrides),
  }
}

export function kedaSettingsOf(manifests: SystemManifests, source: KafkaSourceManifest): KedaSourceSettings {
  const partitions = source.topics.reduce((sum, topic) => {
    const found = manifests.topics.find((t) => t.name === topic)
    if (!found) throw new ScenarioBuildError(`${source.name} reads ${topic}, which has no KafkaTopic`)
    return sum + found.partitions
  }, 0)
  const scaling = source.scaling
  return {
    ...kedaSourceDefaults,
    ...(scaling && {
      minScale: scaling.minScale,
      maxScale: scaling.maxScale,
      lagThreshold: scaling.lagThreshold,
      pollingIntervalMs: scaling.pollingIntervalSeconds * 1000,
      cooldownPeriodMs: scaling.cooldownPeriodSeconds * 1000,
    }),
    // Not KEDA-scaled: `consumers` is fixed (modelled as min = max = consumers).
    ...(!scaling && { minScale: source.consumers, maxScale: source.consumers }),
    partitions,
  }
}

export function kpaSettingsOf(manifests: SystemManifests, serviceName: string): KpaSettings {
  const service = manifests.services.find((s) => s.name === serviceName)
  if (!service) throw new ScenarioBuildError(`no Knative Service named ${serviceName} in manifests/`)
  if (service.scaling.metric !== 'concurrency')
    throw new ScenarioBuildError(`${serviceName}: only the concurrency metric is simulated`)
  return {
    ...knativeKpaDefaults,
    minScale: service.scaling.minScale,
    maxScale: service.scaling.maxScale,
    target: service.scaling.target,
    targetUtilizationPercentage: service.scaling.targetUtilizationPercentage,
    containerConcurrency: service.containerConcurrency,
  }
}

function functionModelOf(
  manifests: SystemManifests,
  source: KafkaSourceManifest,
  assumptions: ClusterAssumptions,
  overrides: Partial<KpaSettings> | undefined,
): FunctionModel {
  const sink = source.sink.ref
  if (sink?.kind !== 'Service')
    throw new ScenarioBuildError(`${source.name}: only a Knative Service sink can be simulated`)
  const kpa = { ...kpaSettingsOf(manifests, sink.name), ...overrides }
  const serviceTimeMs = assumptions.serviceTimeMs[sink.name]
  if (serviceTimeMs === undefined)
    throw new ScenarioBuildError(`no assumed service time for function ${sink.name}`)
  return {
    kpa,
    serviceTimeMs,
    podCapacity:
      kpa.containerConcurrency > 0 ? kpa.containerConcurrency : assumptions.podCapacityWhenUnlimited,
    coldStartMs: assumptions.coldStartMs,
  }
}

function sourceModelOf(
  manifests: SystemManifests,
  source: KafkaSourceManifest,
  assumptions: ClusterAssumptions,
  overrides: Partial<KedaSourceSettings> | undefined,
): SourceModel {
  return {
    keda: { ...kedaSettingsOf(manifests, source), ...overrides },
    ordering: source.ordering,
    maxInFlightPerConsumer: 50,
    consumerEventsPerSecond:
      source.ordering === 'ordered'
        ? assumptions.orderedConsumerEventsPerSecond
        : assumptions.unorderedConsumerEventsPerSecond,
    consumerStartMs: assumptions.consumerStartMs,
    rebalancePauseMs: assumptions.rebalancePauseMs,
  }
}
