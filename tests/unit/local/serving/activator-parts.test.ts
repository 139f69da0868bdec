import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConcurrencyMeter } from '../../../../local/src/serving/concurrency-meter.ts'
import { type BufferRejection, RequestBuffer } from '../../../../local/src/serving/request-buffer.ts'

describe('concurrency meter (what the queue-proxy reports)', () => {
  it('reports the time-weighted average in flight over the period', () => {
    const meter = new ConcurrencyMeter(0)
    meter.started(0)
    meter.started(500)
    meter.finished(1_000)
    // 1 in flight for 500 ms, 2 for 500 ms, 1 for 1000 ms: 2500 / 2000 = 1.25.
    expect(meter.sample(2_000)).toEqual({ concurrency: 1.25, rps: 1 })
    expect(meter.sample(3_000)).toEqual({ concurrency: 1, rps: 0 })
  })

  it('counts a request shorter than the period for its share', () => {
    const meter = new ConcurrencyMeter(0)
    meter.started(100)
    meter.finished(300)
    expect(meter.sample(2_000).concurrency).toBeCloseTo(0.1)
  })
})

describe('activator request buffer', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  function buffer(maxEntries: number, timeoutMs: number) {
    const rejected: [string, BufferRejection][] = []
    const requests = new RequestBuffer<string>({
      maxEntries,
      timeoutMs,
      onReject: (item, reason) => rejected.push([item, reason]),
    })
    return { requests, rejected }
  }

  it('hands requests out in arrival order, a put-back one first', () => {
    const { requests } = buffer(10, 60_000)
    requests.push('a', 0)
    requests.push('b', 0)
    requests.pushFront('retry', 0)
    expect([requests.shift(), requests.shift(), requests.shift(), requests.shift()]).toEqual([
      'retry',
      'a',
      'b',
      undefined,
    ])
  })

  it('turns away a request past its capacity', () => {
    const { requests, rejected } = buffer(1, 60_000)
    expect(requests.push('a', 0)).toBe(true)
    expect(requests.push('b', 0)).toBe(false)
    expect(rejected).toEqual([['b', 'overflow']])
    requests.rejectAll('shutdown')
  })

  it('rejects a request that waited longer than the timeout, and only that one', () => {
    vi.useFakeTimers()
    const { requests, rejected } = buffer(10, 1_000)
    requests.push('old', 0)
    vi.advanceTimersByTime(600)
    requests.push('new', 600)
    vi.advanceTimersByTime(500)
    expect(rejected).toEqual([['old', 'timeout']])
    expect(requests.size).toBe(1)
    requests.rejectAll('shutdown')
    expect(rejected).toEqual([
      ['old', 'timeout'],
      ['new', 'shutdown'],
    ])
  })

  it('forgets a request whose client went away', () => {
    vi.useFakeTimers()
    const { requests, rejected } = buffer(10, 1_000)
    requests.push('gone', 0)
    requests.remove('gone')
    vi.advanceTimersByTime(2_000)
    expect(requests.size).toBe(0)
    expect(rejected).toEqual([])
  })
})
