import { describe, expect, it } from 'vitest'
import { backoffDelayMs, totalBackoffMs, verdictForStatus } from '../../../platform/src/knative-delivery.ts'

describe('delivery policy (Knative KafkaSource dispatcher semantics)', () => {
  it('exponential backoff doubles from delay*2 (PT0.3S waits 0.6 s, 1.2 s, 2.4 s)', () => {
    const policy = { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 300, timeoutMs: 1000 } as const
    expect([1, 2, 3].map((attempt) => backoffDelayMs(policy, attempt))).toEqual([600, 1200, 2400])
  })

  it('the whole backoff of an event that keeps failing: 31 s for 5 retries from PT0.5S, none without retries', () => {
    const policy = { retry: 5, backoffPolicy: 'exponential', backoffDelayMs: 500, timeoutMs: 30_000 } as const
    expect(totalBackoffMs(policy)).toBe(31_000)
    expect(totalBackoffMs({ ...policy, retry: 6, backoffDelayMs: 1000 })).toBe(126_000)
    expect(totalBackoffMs({ ...policy, retry: 0 })).toBe(0)
  })

  it('linear backoff grows by the delay each retry', () => {
    const policy = { retry: 3, backoffPolicy: 'linear', backoffDelayMs: 200, timeoutMs: 1000 } as const
    expect([1, 2, 3].map((attempt) => backoffDelayMs(policy, attempt))).toEqual([200, 400, 600])
  })

  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [500, 'retry'],
    [503, 'retry'],
    [404, 'retry'],
    [408, 'retry'],
    [409, 'retry'],
    [429, 'retry'],
    [400, 'dead-letter'],
    [401, 'dead-letter'],
    [403, 'dead-letter'],
    [413, 'dead-letter'],
    [415, 'dead-letter'],
    [422, 'dead-letter'],
    [301, 'dead-letter'],
  ] as const)('status %i -> %s', (status, verdict) => {
    expect(verdictForStatus(status)).toBe(verdict)
  })
})
