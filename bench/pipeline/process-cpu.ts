// CPU time of processes by pid, read from /proc/<pid>/stat (Linux), to tell which process of the
// pipeline used the CPUs. A pid that is gone reads as null (its last interval is lost, not guessed).
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on every Linux Node supports). */
const ticksPerSecond = 100

/** User + system CPU time of a process so far, in ms; null when it is gone or /proc is missing. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return ((utime + stime) * 1000) / ticksPerSecond
  } catch {
    return null
  }
}

/**
 * CPU used by a changing set of processes between readings: each reading takes the pids of each group
 * and returns per group the CPU ms used since the previous reading by pids seen both times.
 */
export function createCpuMeter() {
  let last = new Map<number, number>()
  return (groups: Readonly<Record<string, readonly number[]>>): Record<string, number> => {
    const next = new Map<number, number>()
    const used: Record<string, number> = {}
    for (const [group, pids] of Object.entries(groups)) {
      used[group] = 0
      for (const pid of pids) {
        const now = processCpuMs(pid)
        if (now === null) continue
        next.set(pid, now)
        const before = last.get(pid)
        if (before !== undefined) used[group] += now - before
      }
    }
    last = next
    return used
  }
}

/** Pids of this process's children whose command is `comm` (e.g. the run's Kafka broker JVM, `java`). */
export function childPidsNamed(comm: string, parent = process.pid): number[] {
  const found: number[] = []
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        if (name === comm && ppid === parent) found.push(Number(entry))
      } catch {
        // Gone between the listing and the read.
      }
    }
  } catch {
    // No /proc: nothing to attribute.
  }
  return found
}
