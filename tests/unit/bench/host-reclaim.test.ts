import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { overlapsActivity, watchHostReclaim } from '../../../bench/src/harness/host-reclaim.ts'

// The API bench splits its latencies by whether the host's reclaim threads ran (host-reclaim.ts says why).
describe('watchHostReclaim', () => {
  let proc: string
  let clock: number
  beforeEach(async () => {
    proc = await mkdtemp(join(tmpdir(), 'taskflow-fake-proc-'))
    clock = 0
    vi.useFakeTimers()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await rm(proc, { recursive: true, force: true })
  })

  const thread = async (pid: number, name: string, cpuNs: number) => {
    await mkdir(join(proc, String(pid)), { recursive: true })
    await writeFile(join(proc, String(pid), 'comm'), `${name}\n`)
    await setCpu(pid, cpuNs)
  }
  const setCpu = (pid: number, cpuNs: number) =>
    writeFile(join(proc, String(pid), 'schedstat'), `${cpuNs} 5000 7\n`)
  const tick = (ms: number) => {
    clock += ms
    vi.advanceTimersByTime(ms)
  }

  it('notes when kdamond and kswapd ran and for how long, and nothing of other processes', async () => {
    await thread(84, 'kdamond.0', 1_000_000)
    await thread(31, 'kswapd0', 0)
    await thread(200, 'postgres', 0)
    await mkdir(join(proc, 'self'))
    const watch = watchHostReclaim({ intervalMs: 5, procDir: proc, now: () => clock })
    tick(5)
    await setCpu(84, 3_000_000)
    tick(5) // ran in (5, 10]
    await setCpu(84, 4_500_000)
    tick(5) // and on in (10, 15]: the same scan
    await setCpu(200, 9_000_000_000) // not a reclaim thread
    tick(5)
    tick(5)
    await setCpu(31, 500_000)
    tick(5) // kswapd in (25, 30]
    const activity = watch.stop()
    expect(activity.threads).toEqual(['kswapd0 (31)', 'kdamond.0 (84)'])
    expect(activity.windows).toEqual([
      [5, 15],
      [25, 30],
    ])
    expect(activity.cpuMs).toBe(4)
  })

  it('reads once more when stopped, and leaves out a thread that went away', async () => {
    await thread(84, 'kdamond.0', 0)
    await thread(85, 'kdamond.1', 0)
    const watch = watchHostReclaim({ intervalMs: 5, procDir: proc, now: () => clock })
    await rm(join(proc, '85'), { recursive: true })
    await setCpu(84, 2_000_000)
    clock += 2
    const activity = watch.stop()
    expect(activity.windows).toEqual([[0, 2]])
    expect(activity.cpuMs).toBe(2)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('reports nothing where there is no reclaim thread or no /proc', () => {
    for (const procDir of [proc, join(proc, 'missing')]) {
      const watch = watchHostReclaim({ procDir })
      expect(vi.getTimerCount()).toBe(0)
      expect(watch.stop()).toEqual({ threads: [], windows: [], cpuMs: 0 })
    }
  })
})

describe('overlapsActivity', () => {
  const windows = [
    [10, 20],
    [40, 45],
  ] as const
  it('is true for a span that meets a window, ends included', () => {
    expect(overlapsActivity(5, 10, windows)).toBe(true)
    expect(overlapsActivity(12, 14, windows)).toBe(true)
    expect(overlapsActivity(20, 30, windows)).toBe(true)
    expect(overlapsActivity(0, 100, windows)).toBe(true)
    expect(overlapsActivity(44, 50, windows)).toBe(true)
  })
  it('is false for a span between, before or after them', () => {
    expect(overlapsActivity(0, 9.9, windows)).toBe(false)
    expect(overlapsActivity(20.1, 39.9, windows)).toBe(false)
    expect(overlapsActivity(45.1, 60, windows)).toBe(false)
    expect(overlapsActivity(1, 2, [])).toBe(false)
  })
})
