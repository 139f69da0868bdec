// The Knative Pod Autoscaler (KPA) decision, as a pure function: no I/O, no timers, no clock.
// The local function host calls it every tick; the benchmark simulator calls it with synthetic samples.
//
// Mirrors knative/serving's autoscaler (pkg/autoscaler/scaling/autoscaler.go) and the KPA reconciler's
// scale-to-zero rules, with the defaults of `config-autoscaler`:
// - effective target per pod = target x target-utilization-percentage (100 x 70% = 70 in flight);
//   with a containerConcurrency the target is capped by it, as Knative resolves the metric target;
// - desired pods on the stable window = ceil(average concurrency over the stable window / effective target),
//   and on the panic window (panic-window-percentage of the stable window, 6 s of 60 s) the same over
//   that shorter window;
// - panic starts when the panic window wants >= panic-threshold-percentage / 100 (2x) the ready pods;
//   in panic the desired count only grows (the highest panic value seen), and panic ends after a whole
//   stable window with no new panic signal;
// - one decision scales up at most max-scale-up-rate (1000x) and down at most max-scale-down-rate (halves);
// - scale-down-delay: the desired count is the highest seen over that delay, so short dips do not remove pods;
// - the last pod goes only after a whole stable window without traffic (then the average is zero) plus the
//   scale-to-zero grace period (Knative keeps the pod while the activator is put back in the request path).

/** Autoscaling settings of one function (revision annotations and `config-autoscaler` globals). */
export interface KpaSettings {
  /** `autoscaling.knative.dev/target`: in-flight requests per pod (metric concurrency). Knative default 100. */
  readonly target: number
  /** `autoscaling.knative.dev/target-utilization-percentage`. Knative default 70. */
  readonly targetUtilizationPercentage: number
  /** `containerConcurrency`: hard limit per pod; 0 = unlimited. Caps the target. */
  readonly containerConcurrency: number
  /** `autoscaling.knative.dev/window`. Knative default 60 s. */
  readonly stableWindowMs: number
  /** `autoscaling.knative.dev/panic-window-percentage`. Knative default 10. */
  readonly panicWindowPercentage: number
  /** `autoscaling.knative.dev/panic-threshold-percentage`. Knative default 200. */
  readonly panicThresholdPercentage: number
  /** `autoscaling.knative.dev/min-scale`. Knative default 0. */
  readonly minScale: number
  /** `autoscaling.knative.dev/max-scale`; 0 = unlimited. */
  readonly maxScale: number
  /** Global `scale-to-zero-grace-period`. Knative default 30 s. */
  readonly scaleToZeroGracePeriodMs: number
  /** `autoscaling.knative.dev/scale-down-delay`. Knative default 0. */
  readonly scaleDownDelayMs: number
  /** Global `max-scale-up-rate`. Knative default 1000. */
  readonly maxScaleUpRate: number
  /** Global `max-scale-down-rate`. Knative default 2. */
  readonly maxScaleDownRate: number
}

/** Knative's defaults (revision annotations absent, `config-autoscaler` untouched). */
export const knativeKpaDefaults: KpaSettings = {
  target: 100,
  targetUtilizationPercentage: 70,
  containerConcurrency: 0,
  stableWindowMs: 60_000,
  panicWindowPercentage: 10,
  panicThresholdPercentage: 200,
  minScale: 0,
  maxScale: 0,
  scaleToZeroGracePeriodMs: 30_000,
  scaleDownDelayMs: 0,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
}

/**
 * One observation: the average number of requests in flight (in the pods plus those the activator holds)
 * over the period ending at `atMs`. Knative's queue-proxies and activator report the same averages.
 */
export interface ConcurrencySample {
  readonly atMs: number
  readonly concurrency: number
}

/** What the autoscaler remembers between decisions. Start from `initialKpaState`. */
export interface KpaState {
  /** When panic mode started or was last extended; null when not panicking. */
  readonly panicSinceMs: number | null
  /** Highest panic-window desired count seen during the current panic. */
  readonly maxPanicPods: number
  /** Last sample time with traffic; null when traffic was never seen. */
  readonly lastTrafficAtMs: number | null
  /** Desired counts of recent decisions, kept for the scale-down delay. */
  readonly recentDesired: readonly { readonly atMs: number; readonly pods: number }[]
}

export const initialKpaState: KpaState = {
  panicSinceMs: null,
  maxPanicPods: 0,
  lastTrafficAtMs: null,
  recentDesired: [],
}

export interface KpaInput {
  readonly settings: KpaSettings
  /** Samples in time order; older than the stable window are ignored. */
  readonly samples: readonly ConcurrencySample[]
  /** Pods ready to serve (starting pods do not count, as in Knative). */
  readonly readyPods: number
  readonly nowMs: number
  readonly state: KpaState
}

export interface KpaDecision {
  readonly desiredPods: number
  readonly panic: boolean
  /** Average concurrency over the stable and the panic window. */
  readonly stableConcurrency: number
  readonly panicConcurrency: number
  /** target x utilization, capped by containerConcurrency. */
  readonly effectiveTarget: number
  readonly state: KpaState
}

/** Knative's per-pod target: target x utilization, the target first capped by containerConcurrency. */
export function effectiveTargetOf(settings: KpaSettings): number {
  const target =
    settings.containerConcurrency > 0
      ? Math.min(settings.target, settings.containerConcurrency)
      : settings.target
  // Knative floors the effective target at 0.01 so a tiny utilization never divides by zero.
  return Math.max(0.01, (target * settings.targetUtilizationPercentage) / 100)
}

export function panicWindowMsOf(settings: KpaSettings): number {
  return (settings.stableWindowMs * settings.panicWindowPercentage) / 100
}

/** The next desired pod count. Pure: the same input always gives the same decision. */
export function decideScale(input: KpaInput): KpaDecision {
  const { settings, samples, nowMs, state } = input
  const effectiveTarget = effectiveTargetOf(settings)
  const stableConcurrency = averageOver(samples, nowMs, settings.stableWindowMs) ?? 0
  // A panic window shorter than the sampling period holds no sample (a short local stable window):
  // the latest sample of the stable window then stands for it.
  const panicConcurrency =
    averageOver(samples, nowMs, panicWindowMsOf(settings)) ??
    latestWithin(samples, nowMs, settings.stableWindowMs) ??
    0
  // Knative divides by at least one pod, so scaling from zero is measured against one.
  const readyPods = Math.max(1, input.readyPods)

  const maxScaleUp = Math.ceil(settings.maxScaleUpRate * readyPods)
  const maxScaleDown = settings.maxScaleDownRate > 0 ? Math.floor(readyPods / settings.maxScaleDownRate) : 0
  const clampRate = (pods: number) => Math.min(maxScaleUp, Math.max(maxScaleDown, pods))
  const stablePods = clampRate(Math.ceil(stableConcurrency / effectiveTarget))
  const unclampedPanicPods = Math.ceil(panicConcurrency / effectiveTarget)
  const panicPods = clampRate(unclampedPanicPods)

  // Knative compares the unclamped panic count with the ready pods.
  const overPanicThreshold = unclampedPanicPods / readyPods >= settings.panicThresholdPercentage / 100
  let panicSinceMs = state.panicSinceMs
  let maxPanicPods = state.maxPanicPods
  if (overPanicThreshold) panicSinceMs = nowMs
  else if (panicSinceMs !== null && nowMs - panicSinceMs >= settings.stableWindowMs) {
    panicSinceMs = null
    maxPanicPods = 0
  }

  let desired = stablePods
  if (panicSinceMs !== null) {
    // In panic Knative never scales down: keep the highest panic count seen (and never below ready pods).
    maxPanicPods = Math.max(maxPanicPods, panicPods, input.readyPods)
    desired = maxPanicPods
  }

  const recentDesired = [
    ...state.recentDesired.filter((entry) => nowMs - entry.atMs < settings.scaleDownDelayMs),
    { atMs: nowMs, pods: desired },
  ]
  if (settings.scaleDownDelayMs > 0) desired = Math.max(...recentDesired.map((entry) => entry.pods))

  const lastTrafficAtMs = lastTrafficOf(samples, state.lastTrafficAtMs)
  if (desired === 0 && input.readyPods > 0 && !idleLongEnoughForZero(settings, lastTrafficAtMs, nowMs)) {
    desired = 1
  }

  desired = Math.max(desired, settings.minScale)
  if (settings.maxScale > 0) desired = Math.min(desired, settings.maxScale)

  return {
    desiredPods: desired,
    panic: panicSinceMs !== null,
    stableConcurrency,
    panicConcurrency,
    effectiveTarget,
    state: {
      panicSinceMs,
      maxPanicPods,
      lastTrafficAtMs,
      recentDesired: settings.scaleDownDelayMs > 0 ? recentDesired : [],
    },
  }
}

/** Average of the samples inside (now - window, now]; null when the window holds none. */
export function averageOver(
  samples: readonly ConcurrencySample[],
  nowMs: number,
  windowMs: number,
): number | null {
  let sum = 0
  let count = 0
  for (const sample of samples) {
    if (sample.atMs > nowMs - windowMs && sample.atMs <= nowMs) {
      sum += sample.concurrency
      count++
    }
  }
  return count > 0 ? sum / count : null
}

function latestWithin(samples: readonly ConcurrencySample[], nowMs: number, windowMs: number): number | null {
  const latest = samples.findLast((sample) => sample.atMs <= nowMs)
  return latest && latest.atMs > nowMs - windowMs ? latest.concurrency : null
}

function lastTrafficOf(samples: readonly ConcurrencySample[], previous: number | null): number | null {
  let last = previous
  for (const sample of samples) {
    if (sample.concurrency > 0 && (last === null || sample.atMs > last)) last = sample.atMs
  }
  return last
}

function idleLongEnoughForZero(
  settings: KpaSettings,
  lastTrafficAtMs: number | null,
  nowMs: number,
): boolean {
  if (lastTrafficAtMs === null) return true
  return nowMs - lastTrafficAtMs >= settings.stableWindowMs + settings.scaleToZeroGracePeriodMs
}

/** Drops samples no decision will read again (older than the stable window). */
export function pruneSamples(
  samples: readonly ConcurrencySample[],
  nowMs: number,
  settings: KpaSettings,
): ConcurrencySample[] {
  return samples.filter((sample) => sample.atMs > nowMs - settings.stableWindowMs)
}
