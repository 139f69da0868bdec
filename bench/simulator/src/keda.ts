// KEDA's scaling of a KafkaSource's dispatcher pods, as a pure decision (no I/O, no clock), the same
// shape as local/src/serving/kpa.ts so the simulator can call both on one timeline.
//
// What Knative's KEDA integration (eventing-kafka-broker's controller, `keda.autoscaling.knative.dev`)
// sets up and how KEDA and the HPA behind it act on it:
// - KEDA polls the consumer group's lag every `polling-interval` seconds (the Kafka scaler sums lag over
//   the topics' partitions: end offset - committed offset);
// - activation: any lag > 0 takes the source from 0 to 1 consumer (`activation-lag-threshold` is not
//   passed to KEDA, so it stays 0);
// - the HPA then wants ceil(lag / lag-threshold) replicas (AverageValue target), capped at max-scale and,
//   because Knative leaves `allowIdleConsumers` off, at the number of partitions: a member more than
//   the partitions would sit idle;
// - scale-down of 1..N goes through the HPA, whose default scale-down stabilization keeps the highest
//   recommendation of the last 300 s;
// - back to zero (min-scale 0) only once no lag was seen for `cooldown-period` seconds.

export interface KedaSourceSettings {
  /** `autoscaling.eventing.knative.dev/min-scale`. Knative default 0. */
  readonly minScale: number
  /** `autoscaling.eventing.knative.dev/max-scale`. Knative default 50. */
  readonly maxScale: number
  /** `autoscaling.eventing.knative.dev/lag-threshold`. Knative default 100. */
  readonly lagThreshold: number
  /** `autoscaling.eventing.knative.dev/polling-interval`, in ms. Knative default 10 s. */
  readonly pollingIntervalMs: number
  /** `autoscaling.eventing.knative.dev/cooldown-period`, in ms. Knative default 30 s. */
  readonly cooldownPeriodMs: number
  /** Partitions of all the source's topics together: the replica cap KEDA applies. */
  readonly partitions: number
  /** The HPA's `behavior.scaleDown.stabilizationWindowSeconds`, in ms. Kubernetes default 300 s. */
  readonly hpaScaleDownStabilizationMs: number
}

export const kedaSourceDefaults: Omit<KedaSourceSettings, 'partitions'> = {
  minScale: 0,
  maxScale: 50,
  lagThreshold: 100,
  pollingIntervalMs: 10_000,
  cooldownPeriodMs: 30_000,
  hpaScaleDownStabilizationMs: 300_000,
}

export interface KedaState {
  /** Last poll that saw lag; null when lag was never seen. */
  readonly lastActiveAtMs: number | null
  /** HPA recommendations kept for the scale-down stabilization window. */
  readonly recommendations: readonly { readonly atMs: number; readonly replicas: number }[]
}

export const initialKedaState: KedaState = { lastActiveAtMs: null, recommendations: [] }

export interface KedaInput {
  readonly settings: KedaSourceSettings
  /** Total lag of the consumer group over the source's topics. */
  readonly lag: number
  readonly currentReplicas: number
  readonly nowMs: number
  readonly state: KedaState
}

export interface KedaDecision {
  readonly replicas: number
  /** Lag above the activation threshold (0) at this poll. */
  readonly active: boolean
  /** The replica ceiling: min(max-scale, partitions). */
  readonly maxReplicas: number
  readonly state: KedaState
}

export class KedaSettingsError extends Error {
  override readonly name = 'KedaSettingsError'
}

export function validateKedaSettings(settings: KedaSourceSettings): void {
  const problems: string[] = []
  if (!(settings.lagThreshold > 0)) problems.push('lagThreshold must be > 0')
  if (!(settings.pollingIntervalMs > 0)) problems.push('pollingIntervalMs must be > 0')
  if (!(settings.partitions >= 1)) problems.push('partitions must be >= 1')
  if (settings.minScale < 0 || settings.maxScale < 1) problems.push('need minScale >= 0 and maxScale >= 1')
  if (settings.minScale > settings.maxScale) problems.push('minScale must not exceed maxScale')
  if (settings.cooldownPeriodMs < 0 || settings.hpaScaleDownStabilizationMs < 0)
    problems.push('cooldown and stabilization must be >= 0')
  if (problems.length > 0) throw new KedaSettingsError(problems.join('; '))
}

/** The ceiling KEDA applies: never more consumers than max-scale, never more than partitions. */
export function maxReplicasOf(settings: KedaSourceSettings): number {
  return Math.max(0, Math.min(settings.maxScale, settings.partitions))
}

/** The replica count after one KEDA poll. Pure: the same input always gives the same decision. */
export function decideSourceReplicas(input: KedaInput): KedaDecision {
  const { settings, lag, nowMs, state } = input
  const maxReplicas = maxReplicasOf(settings)
  const floor = Math.min(settings.minScale, maxReplicas)
  const active = lag > 0
  const lastActiveAtMs = active ? nowMs : state.lastActiveAtMs

  const cooledDown = lastActiveAtMs === null || nowMs - lastActiveAtMs >= settings.cooldownPeriodMs
  if (!active && cooledDown && floor === 0) {
    // KEDA itself takes the workload to zero; the HPA's memory starts afresh at the next activation.
    return { replicas: 0, active, maxReplicas, state: { lastActiveAtMs, recommendations: [] } }
  }
  if (!active && input.currentReplicas === 0 && floor === 0) {
    return { replicas: 0, active, maxReplicas, state: { lastActiveAtMs, recommendations: [] } }
  }

  // The HPA's AverageValue target: lag per replica <= lag-threshold; at least one while active.
  const recommended = Math.min(maxReplicas, Math.max(1, floor, Math.ceil(lag / settings.lagThreshold)))
  const recommendations = [
    ...state.recommendations.filter((entry) => nowMs - entry.atMs < settings.hpaScaleDownStabilizationMs),
    { atMs: nowMs, replicas: recommended },
  ]
  // Scale-up is immediate; scale-down takes the highest recommendation of the stabilization window.
  const stabilized = Math.max(...recommendations.map((entry) => entry.replicas))
  const replicas =
    recommended >= input.currentReplicas ? recommended : Math.min(input.currentReplicas, stabilized)
  return {
    replicas,
    active,
    maxReplicas,
    state: { lastActiveAtMs, recommendations },
  }
}
