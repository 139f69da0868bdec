import { describe, expect, it } from 'vitest'
import { formatDuration, plainLines, startStep, step } from '../../../cli/src/progress.ts'

// Issue 21: a slow step of a tool's start says what it does and, when it ends, how long it took.

describe('progress lines', () => {
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
