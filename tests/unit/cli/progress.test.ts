import { afterEach, describe, expect, it, vi } from 'vitest'
import { formatDuration, plainLines, startStep, step } from '../../../cli/src/progress.ts'

// Issue 21: a slow step of a tool's start says what it does and, when it ends, how long it took.

describe('progress lines', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a step over 2 s says it is still running, then every 5 s, and stops saying so when it ends', async () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const sink = plainLines((line) => lines.push(line))
    let finish!: (value: string) => void
    const running = step(
      sink,
      'joining consumer groups',
      () => new Promise<string>((resolve) => (finish = resolve)),
    )
    await vi.advanceTimersByTimeAsync(1_999)
    expect(lines).toEqual(['joining consumer groups ...\n'])
    await vi.advanceTimersByTimeAsync(1)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(lines.slice(1)).toEqual([
      'joining consumer groups: still running (2.0 s)\n',
      'joining consumer groups: still running (7.0 s)\n',
    ])
    finish('joined')
    expect(await running).toBe('joined')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(lines.slice(3)).toEqual(['joining consumer groups: done in 7.0 s\n'])
  })

  it('a failed step stops its "still running" lines and rethrows', async () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const failing = step(
      plainLines((line) => lines.push(line)),
      'migrations',
      async () => {
        throw new Error('no database')
      },
    )
    await expect(failing).rejects.toThrow('no database')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(lines).toEqual(['migrations ...\n'])
  })

  it('a step says what it does when it begins and its duration when it ends', async () => {
    const records: { fields: Record<string, unknown>; message: string }[] = []
    const sink = {
      info: (fields: Record<string, unknown>, message: string) => records.push({ fields, message }),
    }
    const result = await step(sink, 'building functions', async () => 42)
    expect(result).toBe(42)
    expect(records.map((r) => r.message)).toEqual([
      'building functions ...',
      expect.stringMatching(/^building functions: done in \d+ ms$/),
    ])
    expect(records[1]!.fields).toMatchObject({ step: 'building functions', ms: expect.any(Number) })
  })

  it('done reports once, with a detail; plain lines for a terminal', () => {
    const lines: string[] = []
    let now = 1_000
    const started = startStep(
      plainLines((line) => lines.push(line)),
      'starting Kafka',
      () => now,
    )
    now += 14_900
    started.done('1 node')
    started.done()
    expect(lines).toEqual(['starting Kafka ...\n', 'starting Kafka: done in 14.9 s (1 node)\n'])
    expect(formatDuration(999)).toBe('999 ms')
  })
})
