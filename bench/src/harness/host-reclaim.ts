// When the host kernel's memory-reclaim threads ran during a latency measurement.
//
// On the bench's VM, DAMON's proactive reclaim (the kdamond kernel thread: physical-address monitoring
// with a pageout scheme, set up by the host, not by us) samples memory every 500 ms and then holds one
// of the two CPUs for ~15-25 ms (perf, every ~540 ms). Meanwhile the API, PostgreSQL, the broker and the
// client share the other CPU. At 1,000 POST/s (6 s of perf beside a 15 s open loop, 2026-12-05):
// the 9 % of requests in flight during a scan had request p50 8.9 ms and p99 29.0 ms, the others p50 2.5
// and p99 12.4 ms. So the API bench reports both, from this watch: each reclaim thread's CPU time
// (/proc/<pid>/schedstat, nanoseconds) read every few milliseconds, and the windows in which it grew.
import { readdirSync, readFileSync } from 'node:fs'

/** Epoch ms [from, to] in which a reclaim thread was on a CPU (to the watch's resolution). */
export type ActivityWindow = readonly [from: number, to: number]

export interface HostReclaimActivity {
  /** The threads watched, as `name (pid)`; empty where there are none or /proc is not readable. */
  readonly threads: readonly string[]
  /** When they ran, in time order, adjacent readings merged. */
  readonly windows: readonly ActivityWindow[]
  /** Their CPU time over the watch. */
  readonly cpuMs: number
}

export interface HostReclaimWatch {
  stop(): HostReclaimActivity
}

/** Kernel threads that reclaim memory: DAMON's kdamond.N and the kswapdN of each node. */
const reclaimThreadName = /^(kdamond|kswapd)/

export function watchHostReclaim(
  options: { intervalMs?: number; procDir?: string; now?: () => number } = {},
): HostReclaimWatch {
  const {
    intervalMs = 5,
    procDir = '/proc',
    now = () => performance.timeOrigin + performance.now(),
  } = options
  const threads = findReclaimThreads(procDir)
  const lastCpuNs = new Map(threads.map((thread) => [thread.pid, cpuNs(procDir, thread.pid)]))
  const windows: [number, number][] = []
  let cpuNsTotal = 0
  let lastReadAt = now()

  const read = () => {
    const readAt = now()
    let ran = false
    for (const { pid } of threads) {
      const current = cpuNs(procDir, pid)
      const before = lastCpuNs.get(pid)
      if (current === undefined || before === undefined) continue
      if (current > before) {
        ran = true
        cpuNsTotal += current - before
      }
      lastCpuNs.set(pid, current)
    }
    if (ran) {
      const last = windows.at(-1)
      // Runs in consecutive readings are one scan.
      if (last !== undefined && last[1] >= lastReadAt) last[1] = readAt
      else windows.push([lastReadAt, readAt])
    }
    lastReadAt = readAt
  }
  const timer = threads.length === 0 ? undefined : setInterval(read, intervalMs)

  return {
    stop() {
      if (timer !== undefined) {
        clearInterval(timer)
        read()
      }
      return {
        threads: threads.map(({ pid, name }) => `${name} (${pid})`),
        windows,
        cpuMs: Math.round(cpuNsTotal / 1e5) / 10,
      }
    },
  }
}

/** Whether [from, to] meets any of the windows (sorted by start). */
export function overlapsActivity(from: number, to: number, windows: readonly ActivityWindow[]): boolean {
  for (const [start, end] of windows) {
    if (start > to) return false
    if (end >= from) return true
  }
  return false
}

function findReclaimThreads(procDir: string): { pid: number; name: string }[] {
  let entries: string[]
  try {
    entries = readdirSync(procDir)
  } catch {
    return []
  }
  const threads: { pid: number; name: string }[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const name = readFileSync(`${procDir}/${entry}/comm`, 'utf8').trim()
      if (reclaimThreadName.test(name)) threads.push({ pid: Number(entry), name })
    } catch {
      // The process ended while we looked.
    }
  }
  return threads.sort((a, b) => a.pid - b.pid)
}

/** The first field of schedstat: time spent on a CPU, in ns (undefined once the thread is gone). */
function cpuNs(procDir: string, pid: number): number | undefined {
  try {
    const value = Number(readFileSync(`${procDir}/${pid}/schedstat`, 'utf8').split(' ', 1)[0])
    return Number.isFinite(value) ? value : undefined
  } catch {
    return undefined
  }
}
