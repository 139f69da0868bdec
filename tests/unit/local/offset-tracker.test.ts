import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PartitionOffsetTracker } from '../../../local/src/eventing/offset-tracker.ts'

describe('PartitionOffsetTracker (gap-free commits like Knative dispatcher)', () => {
  it('commits the next offset to read when nothing is in flight', () => {
    const tracker = new PartitionOffsetTracker(42)
    expect(tracker.committable).toBe(42)
    tracker.start(42)
    tracker.finish(42)
    expect(tracker.committable).toBe(43)
  })

  it('never commits past an unfinished record when later ones finish first', () => {
    const tracker = new PartitionOffsetTracker(0)
    for (const offset of [0, 1, 2, 3]) tracker.start(offset)
    tracker.finish(2)
    tracker.finish(3)
    expect(tracker.committable).toBe(0)
    tracker.finish(1)
    expect(tracker.committable).toBe(0)
    tracker.finish(0)
    expect(tracker.committable).toBe(4)
    expect(tracker.inFlight).toBe(0)
  })

  it('tolerates gaps in offsets (compacted topics, transaction markers)', () => {
    const tracker = new PartitionOffsetTracker(10)
    tracker.start(10)
    tracker.start(15)
    tracker.finish(15)
    expect(tracker.committable).toBe(10)
    tracker.finish(10)
    expect(tracker.committable).toBe(16)
  })

  it('rejects records started out of order', () => {
    const tracker = new PartitionOffsetTracker(5)
    tracker.start(6)
    expect(() => tracker.start(6)).toThrow(RangeError)
  })

  it('committable is always the smallest unfinished offset, for any completion order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 300 }),
        fc.infiniteStream(fc.nat()),
        (start, gaps, picks) => {
          const tracker = new PartitionOffsetTracker(start)
          const offsets: number[] = []
          let offset = start
          for (const gap of gaps) {
            tracker.start(offset)
            offsets.push(offset)
            offset += gap
          }
          const pending = new Set(offsets)
          const order = picks.take(offsets.length)
          for (const pick of order) {
            const remaining = [...pending]
            const done = remaining[pick % remaining.length]!
            tracker.finish(done)
            pending.delete(done)
            const expected = pending.size > 0 ? Math.min(...pending) : offsets.at(-1)! + 1
            expect(tracker.committable).toBe(expected)
            expect(tracker.inFlight).toBe(pending.size)
          }
        },
      ),
    )
  })
})
