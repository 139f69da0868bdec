// What a queue-proxy reports to the autoscaler: the time-weighted average number of requests in flight
// over each sampling period (so requests shorter than a tick still count), and the request rate for the
// `rps` metric. The activator's buffered requests are in flight too: that is how Knative scales from zero.
export class ConcurrencyMeter {
  #inFlight = 0
  #lastChangeMs: number
  #periodStartMs: number
  #weightedSum = 0
  #arrivals = 0

  constructor(nowMs: number) {
    this.#lastChangeMs = nowMs
    this.#periodStartMs = nowMs
  }

  get inFlight(): number {
    return this.#inFlight
  }

  started(nowMs: number): void {
    this.#advance(nowMs)
    this.#inFlight++
    this.#arrivals++
  }

  finished(nowMs: number): void {
    this.#advance(nowMs)
    this.#inFlight = Math.max(0, this.#inFlight - 1)
  }

  /** Averages since the previous sample, then starts a new period. */
  sample(nowMs: number): { concurrency: number; rps: number } {
    this.#advance(nowMs)
    const periodMs = nowMs - this.#periodStartMs
    // A zero-length period (two samples in the same millisecond) reports the current in-flight count.
    const concurrency = periodMs > 0 ? this.#weightedSum / periodMs : this.#inFlight
    const rps = periodMs > 0 ? (this.#arrivals * 1000) / periodMs : 0
    this.#periodStartMs = nowMs
    this.#weightedSum = 0
    this.#arrivals = 0
    return { concurrency, rps }
  }

  #advance(nowMs: number): void {
    this.#weightedSum += this.#inFlight * Math.max(0, nowMs - this.#lastChangeMs)
    this.#lastChangeMs = nowMs
  }
}
