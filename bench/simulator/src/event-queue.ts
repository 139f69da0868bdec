// A min-heap of timed simulation events: the discrete-event clock of the simulator. Ties keep their
// insertion order so a run is deterministic.

export interface Timed<T> {
  readonly atMs: number
  readonly value: T
}

export class EventQueue<T> {
  readonly #heap: { atMs: number; seq: number; value: T }[] = []
  #seq = 0

  get size(): number {
    return this.#heap.length
  }

  push(atMs: number, value: T): void {
    const heap = this.#heap
    heap.push({ atMs, seq: this.#seq++, value })
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(heap[index]!, heap[parent]!)) break
      ;[heap[index], heap[parent]] = [heap[parent]!, heap[index]!]
      index = parent
    }
  }

  pop(): Timed<T> | undefined {
    const heap = this.#heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let index = 0
      for (;;) {
        const left = index * 2 + 1
        const right = left + 1
        let smallest = index
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right
        if (smallest === index) break
        ;[heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!]
        index = smallest
      }
    }
    return { atMs: top.atMs, value: top.value }
  }
}

function before(a: { atMs: number; seq: number }, b: { atMs: number; seq: number }): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)
}
