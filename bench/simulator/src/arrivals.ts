// Arrival patterns of task events (events per second as a function of time), the inputs of the
// what-if simulator. Each is a plain description so a scenario can be printed, stored in JSON and
// compared across runs.

export type ArrivalPattern =
  | { readonly kind: 'steady'; readonly eventsPerSecond: number }
  /** `baseEventsPerSecond`, then `burstEventsPerSecond` from `startSeconds` for `durationSeconds`. */
  | {
      readonly kind: 'burst'
      readonly baseEventsPerSecond: number
      readonly burstEventsPerSecond: number
      readonly startSeconds: number
      readonly durationSeconds: number
    }
  /**
   * A working day: a raised cosine from `troughEventsPerSecond` (at t = 0, "night") to
   * `peakEventsPerSecond` at half the period, back to the trough at the end of `periodSeconds`.
   */
  | {
      readonly kind: 'diurnal'
      readonly troughEventsPerSecond: number
      readonly peakEventsPerSecond: number
      readonly periodSeconds: number
    }

export class ArrivalPatternError extends Error {
  override readonly name = 'ArrivalPatternError'
}

export function validateArrivalPattern(pattern: ArrivalPattern): void {
  const rates =
    pattern.kind === 'steady'
      ? [pattern.eventsPerSecond]
      : pattern.kind === 'burst'
        ? [pattern.baseEventsPerSecond, pattern.burstEventsPerSecond]
        : [pattern.troughEventsPerSecond, pattern.peakEventsPerSecond]
  for (const rate of rates) {
    if (!Number.isFinite(rate) || rate < 0)
      throw new ArrivalPatternError(`${pattern.kind}: rates must be finite and >= 0, got ${rate}`)
  }
  if (pattern.kind === 'burst' && (pattern.startSeconds < 0 || pattern.durationSeconds <= 0))
    throw new ArrivalPatternError('burst: startSeconds must be >= 0 and durationSeconds > 0')
  if (pattern.kind === 'diurnal' && !(pattern.periodSeconds > 0))
    throw new ArrivalPatternError('diurnal: periodSeconds must be > 0')
}

/** Arrival rate (events/s) at `seconds` since the start of the run. */
export function arrivalRateAt(pattern: ArrivalPattern, seconds: number): number {
  switch (pattern.kind) {
    case 'steady':
      return pattern.eventsPerSecond
    case 'burst': {
      const inBurst =
        seconds >= pattern.startSeconds && seconds < pattern.startSeconds + pattern.durationSeconds
      return inBurst ? pattern.burstEventsPerSecond : pattern.baseEventsPerSecond
    }
    case 'diurnal': {
      const phase = (seconds % pattern.periodSeconds) / pattern.periodSeconds
      const swing = (1 - Math.cos(2 * Math.PI * phase)) / 2
      return (
        pattern.troughEventsPerSecond + (pattern.peakEventsPerSecond - pattern.troughEventsPerSecond) * swing
      )
    }
  }
}

export function describeArrivals(pattern: ArrivalPattern): string {
  switch (pattern.kind) {
    case 'steady':
      return `steady ${pattern.eventsPerSecond}/s`
    case 'burst':
      return `${pattern.baseEventsPerSecond}/s, burst ${pattern.burstEventsPerSecond}/s for ${pattern.durationSeconds} s at ${pattern.startSeconds} s`
    case 'diurnal':
      return `diurnal ${pattern.troughEventsPerSecond}-${pattern.peakEventsPerSecond}/s over ${pattern.periodSeconds} s`
  }
}
