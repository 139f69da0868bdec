import { describe, expect, it } from 'vitest'
import type { SystemStatus } from '../../../local/src/status.ts'
import { statusChangeDetector } from '../../../local/src/status-change.ts'

// Issue 21: `npm start` reprints its status table when counts, lag or processes change, not when a
// function's memory moves by a megabyte or a backlog grows a second older.

const base: SystemStatus = {
  url: 'http://127.0.0.1:8080/',
  eventLog: 'embedded',
  outbox: { pending: 2, oldestPendingSeconds: 3, relay: null },
  sources: [
    {
      name: 'audit-log',
      ordering: 'ordered',
      lag: 0,
      inFlight: 0,
      delivered: 5,
      retried: 0,
      deadLettered: 0,
      dropped: 0,
      refused: 0,
    } as SystemStatus['sources'][number],
  ],
  functions: [
    {
      name: 'audit-log',
      processes: 1,
      ready: 1,
      inFlight: 0,
      buffered: 0,
      coldStarts: 1,
      lastColdStartMs: 700,
      rssMb: 61,
    },
  ],
  sinks: [],
  pings: [{ name: 'tick', ticks: 1, delivered: 1, failed: 0, lastTick: 'a', nextTick: 'b' }],
}

const withFunction = (change: Partial<SystemStatus['functions'][number]>): SystemStatus => ({
  ...base,
  functions: [{ ...base.functions[0]!, ...change }],
})

describe('status reprints', () => {
  it('the first status is a change; the same status again is not', () => {
    const detector = statusChangeDetector()
    expect(detector.changed(base)).toBe(true)
    expect(detector.changed(structuredClone(base))).toBe(false)
  })

  it('memory jitter, a backlog getting older and tick times are no change', () => {
    const detector = statusChangeDetector()
    detector.changed(base)
    expect(detector.changed(withFunction({ rssMb: 62 }))).toBe(false)
    expect(detector.changed(withFunction({ rssMb: 75 }))).toBe(false)
    expect(detector.changed({ ...base, outbox: { ...base.outbox!, oldestPendingSeconds: 8 } })).toBe(false)
    expect(detector.changed({ ...base, pings: [{ ...base.pings[0]!, lastTick: 'c', nextTick: 'd' }] })).toBe(
      false,
    )
  })

  it('counts, lag, processes and the backlog are', () => {
    const detector = statusChangeDetector()
    detector.changed(base)
    expect(detector.changed(withFunction({ processes: 2 }))).toBe(true)
    expect(detector.changed(withFunction({ processes: 2, ready: 2 }))).toBe(true)
    expect(detector.changed({ ...base, sources: [{ ...base.sources[0]!, lag: 4 }] })).toBe(true)
    expect(detector.changed({ ...base, sources: [{ ...base.sources[0]!, delivered: 6 }] })).toBe(true)
    expect(detector.changed({ ...base, outbox: { ...base.outbox!, pending: 0 } })).toBe(true)
    expect(detector.changed({ ...base, pings: [{ ...base.pings[0]!, ticks: 2 }] })).toBe(true)
  })
})
