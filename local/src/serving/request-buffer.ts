// The activator's buffer: requests that arrive while no process can take them (scaled to zero, cold
// start, every process at its containerConcurrency) wait here instead of failing, in arrival order.
// Bounded in size and in waiting time; the host answers 503 for the ones turned away, as Knative's
// activator does when its queue overflows or a request times out waiting for capacity.
export type BufferRejection = 'overflow' | 'timeout' | 'shutdown'

export class RequestBuffer<T> {
  readonly #entries: { item: T; enqueuedAtMs: number; timer: NodeJS.Timeout }[] = []
  readonly #maxEntries: number
  readonly #timeoutMs: number
  readonly #onReject: (item: T, reason: BufferRejection) => void

  constructor(options: {
    maxEntries: number
    timeoutMs: number
    onReject: (item: T, reason: BufferRejection) => void
  }) {
    this.#maxEntries = options.maxEntries
    this.#timeoutMs = options.timeoutMs
    this.#onReject = options.onReject
  }

  get size(): number {
    return this.#entries.length
  }

  /** False (and the item rejected as `overflow`) when the buffer is full. */
  push(item: T, nowMs: number): boolean {
    if (this.#entries.length >= this.#maxEntries) {
      this.#onReject(item, 'overflow')
      return false
    }
    this.#entries.push(this.#entryFor(item, nowMs))
    return true
  }

  /** Puts an item back at the head (a request that could not reach a process that just died). */
  pushFront(item: T, nowMs: number): void {
    this.#entries.unshift(this.#entryFor(item, nowMs))
  }

  #entryFor(item: T, nowMs: number) {
    const entry = {
      item,
      enqueuedAtMs: nowMs,
      timer: setTimeout(() => {
        const index = this.#entries.indexOf(entry)
        if (index >= 0) {
          this.#entries.splice(index, 1)
          this.#onReject(item, 'timeout')
        }
      }, this.#timeoutMs),
    }
    return entry
  }

  shift(): T | undefined {
    const entry = this.#entries.shift()
    if (!entry) return undefined
    clearTimeout(entry.timer)
    return entry.item
  }

  /** Removes an item that went away by itself (its client disconnected). */
  remove(item: T): void {
    const index = this.#entries.findIndex((entry) => entry.item === item)
    if (index < 0) return
    const [entry] = this.#entries.splice(index, 1)
    if (entry) clearTimeout(entry.timer)
  }

  rejectAll(reason: BufferRejection): void {
    for (let entry = this.#entries.shift(); entry; entry = this.#entries.shift()) {
      clearTimeout(entry.timer)
      this.#onReject(entry.item, reason)
    }
  }
}
