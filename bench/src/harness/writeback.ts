// Writes the page cache's dirty pages to disk before a latency measurement, so it measures the steady
// state it is about rather than the write-back of an earlier phase.
//
// Linux writes a dirty page back ~30 s after it was dirtied (vm.dirty_expire_centisecs), so a burst of
// writes (a closed loop at 3,000+ POST/s leaves ~130 MB: the broker's log segments, which Kafka never
// fsyncs, and the databases' files) is written back in one go half a minute later. On this one-disk
// machine that flush queued PostgreSQL's WAL fsyncs behind it for 300-400 ms, in the middle of the
// next open loop: request p99 125-293 ms at 1,000 POST/s over 2 runs, 33-48 ms over 3 runs with a sync
// first (same code, same session). At a steady rate the kernel writes back a few seconds' worth at a
// time, which the measured loop still pays as it comes.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

export interface WritebackFlush {
  /** Dirty page cache before the flush (MB), 0 where /proc/meminfo is not readable. */
  readonly dirtyMb: number
  readonly tookMs: number
}

/** sync(1): every dirty page of every file system written to disk; resolves when it is done. */
export async function flushDirtyPages(): Promise<WritebackFlush> {
  const dirtyMb = await dirtyMegabytes()
  const startedAt = performance.now()
  await promisify(execFile)('sync')
  return { dirtyMb, tookMs: Math.round(performance.now() - startedAt) }
}

async function dirtyMegabytes(): Promise<number> {
  try {
    const meminfo = await readFile('/proc/meminfo', 'utf8')
    const kilobytes = Number(/^Dirty:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0)
    return Math.round(kilobytes / 1024)
  } catch {
    return 0
  }
}
