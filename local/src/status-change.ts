// When `npm start` reprints its status table: when something a user acts on changed (counts, lag,
// processes, the outbox backlog, the relay), not when a process's memory moved by a megabyte or a
// backlog's age went up by a second.
import type { SystemStatus } from './status.ts'

/** The status less what changes without anything happening (memory, ages, tick times). */
export function statusSignature(status: SystemStatus): string {
  return JSON.stringify({
    ...status,
    outbox: status.outbox === undefined ? undefined : { ...status.outbox, oldestPendingSeconds: undefined },
    functions: status.functions.map((f) => ({ ...f, rssMb: undefined })),
    pings: status.pings.map((p) => ({ ...p, lastTick: undefined, nextTick: undefined })),
  })
}

/** Remembers the last signature: `changed` is true for the first status and for each meaningful change. */
export function statusChangeDetector(): { changed(status: SystemStatus): boolean } {
  let last: string | undefined
  return {
    changed(status) {
      const signature = statusSignature(status)
      if (signature === last) return false
      last = signature
      return true
    },
  }
}
