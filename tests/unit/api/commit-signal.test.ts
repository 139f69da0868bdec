import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { outboxCommitSignal } from '../../../api/src/outbox/commit-signal.ts'

/** A relay holding `lanes`, counting its wakes; a NOTIFY that stays in flight until released. */
function harness(lanes: number[] | undefined) {
  const wakes: number[] = []
  const notifies: Array<() => void> = []
  const relay =
    lanes === undefined
      ? undefined
      : { wake: () => void wakes.push(1), ownsLane: (lane: number) => lanes.includes(lane) }
  const signal = outboxCommitSignal({
    relay,
    notify: () => new Promise<void>((resolve) => notifies.push(resolve)),
    logger: pino({ level: 'silent' }),
  })
  return { signal, wakes, notifies }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('outbox commit signal', () => {
  it('wakes the relay of this process for its lanes and notifies nobody', () => {
    const { signal, wakes, notifies } = harness([0, 1, 2])
    signal.committed([1])
    signal.committed([0, 2])
    expect(wakes).toHaveLength(2)
    expect(notifies).toHaveLength(0)
  })

  it('notifies other replicas for a lane its relay does not hold, and for every lane without a relay', () => {
    const mixed = harness([0])
    mixed.signal.committed([0, 5])
    expect(mixed.wakes).toHaveLength(1)
    expect(mixed.notifies).toHaveLength(1)
    const none = harness(undefined)
    none.signal.committed([0])
    expect(none.notifies).toHaveLength(1)
  })

  it('keeps one NOTIFY in flight: commits meanwhile share the next one', async () => {
    const { signal, notifies } = harness(undefined)
    signal.committed([3])
    for (let i = 0; i < 50; i++) signal.committed([i % 16])
    expect(notifies).toHaveLength(1)
    notifies[0]!()
    await settle()
    expect(notifies).toHaveLength(2)
    notifies[1]!()
    await settle()
    // Nothing committed after the second started: no third.
    expect(notifies).toHaveLength(2)
  })

  it('a failed NOTIFY does not stop the next one', async () => {
    const failures: unknown[] = []
    let calls = 0
    const signal = outboxCommitSignal({
      relay: undefined,
      notify: async () => {
        calls++
        if (calls === 1) throw new Error('connection lost')
      },
      logger: { warn: (fields: unknown) => void failures.push(fields) } as never,
    })
    signal.committed([1])
    await settle()
    signal.committed([1])
    await settle()
    expect(calls).toBe(2)
    expect(failures).toHaveLength(1)
  })
})
