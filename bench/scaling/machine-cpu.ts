// Whole-machine CPU use between two readings of /proc/stat (Linux): tells a benchmark that stopped
// scaling whether the CPUs were the limit. Null where /proc/stat does not exist.
import { readFileSync } from 'node:fs'

export interface CpuTimes {
  readonly busy: number
  readonly total: number
}

export function readCpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    const fields = line.trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((sum, value) => sum + value, 0)
    // idle + iowait are the idle columns.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** Busy share of all CPUs between two readings, in percent. */
export function busyPercent(before: CpuTimes | null, after: CpuTimes | null): number {
  if (!before || !after || after.total <= before.total) return Number.NaN
  return Math.round(((after.busy - before.busy) / (after.total - before.total)) * 1000) / 10
}
