// Latency percentiles over millions of simulated events in constant memory: log-spaced buckets 2% wide,
// so a reported percentile is within 2% of the exact one.

const growth = 1.02
const logGrowth = Math.log(growth)

export class LatencyHistogram {
  readonly #counts = new Map<number, number>()
  #total = 0
  #max = 0

  get count(): number {
    return this.#total
  }

  get max(): number {
    return this.#max
  }

  record(ms: number): void {
    const bucket = ms <= 1 ? 0 : Math.ceil(Math.log(ms) / logGrowth)
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + 1)
    this.#total++
    if (ms > this.#max) this.#max = ms
  }

  /** The latency under which `quantile` (0..1) of the recorded events fall; 0 when none were recorded. */
  percentile(quantile: number): number {
    if (this.#total === 0) return 0
    const rank = Math.ceil(quantile * this.#total)
    let seen = 0
    for (const bucket of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(bucket)!
      if (seen >= rank) return Math.min(this.#max, bucket === 0 ? 1 : growth ** bucket)
    }
    return this.#max
  }
}

/** Exact percentile of a small sample (sorted copy). */
export function percentileOf(values: readonly number[], quantile: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1))]!
}
