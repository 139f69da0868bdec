// Gap-free commit position for one partition. Knative's dispatcher commits, per partition, the first
// offset that is not finished yet, even when deliveries complete out of order (`unordered`): a crash
// then redelivers everything from that point (at-least-once) and never skips an unfinished record.
//
// Offsets are JS numbers: safe up to 2^53, far beyond any partition's lifetime.

export class PartitionOffsetTracker {
  // In-flight offsets in the order they were started (= offset order: records are started in order).
  // `finished` marks those done out of order; the head advances past finished ones in O(1) amortized.
  #inFlight: number[] = []
  #head = 0
  #finished = new Set<number>()
  #nextOffset: number

  /** `startOffset`: where consumption of this partition begins (the committed offset). */
  constructor(startOffset: number) {
    this.#nextOffset = startOffset
  }

  /** A record was handed to delivery. Records must be started in increasing offset order. */
  start(offset: number): void {
    if (offset < this.#nextOffset) {
      throw new RangeError(
        `offset ${offset} started after ${this.#nextOffset - 1}: records must start in order`,
      )
    }
    this.#inFlight.push(offset)
    this.#nextOffset = offset + 1
  }

  /** A record's delivery ended (delivered, or dead-lettered, or dropped: all final). */
  finish(offset: number): void {
    if (this.#inFlight[this.#head] === offset) {
      this.#head++
      while (this.#head < this.#inFlight.length && this.#finished.delete(this.#inFlight[this.#head]!)) {
        this.#head++
      }
      this.#compact()
    } else {
      this.#finished.add(offset)
    }
  }

  /** How many started records are not finished. */
  get inFlight(): number {
    return this.#inFlight.length - this.#head - this.#finished.size
  }

  /**
   * The offset to commit: the first unfinished one, or the next offset to read when all are finished
   * (Kafka's committed offset is the next record to consume).
   */
  get committable(): number {
    return this.#head < this.#inFlight.length ? this.#inFlight[this.#head]! : this.#nextOffset
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#inFlight.length) {
      this.#inFlight = this.#inFlight.slice(this.#head)
      this.#head = 0
    }
  }
}
