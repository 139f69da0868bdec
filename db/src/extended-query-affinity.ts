import type { PGlite } from '@electric-sql/pglite'

// pglite-socket 0.2.17 queues PGlite work per protocol *message* and pins the queue to one
// connection only while `isInTransaction()` is true. An extended-protocol batch (Parse, Bind,
// Describe, Execute ... Sync) is not a transaction block between its messages, so when a batch
// arrives in more than one TCP chunk (a parameter over ~64 KB is enough) another connection's Parse
// can land in the middle and replace the shared unnamed statement: the first client then binds its
// values to someone else's query (upstream issue electric-sql/pglite#1046, reproduced in
// tests/integration/db/pglite-socket-limits.test.ts).
//
// The fix does not fork pglite-socket: it hands the server a PGlite view whose `isInTransaction()`
// also reports true from the first extended-protocol message until the Sync (or a simple Query)
// that closes the batch, so the server's own affinity rule keeps the batch on its connection.

const opensBatch = new Set([
  0x50, // 'P' Parse
  0x42, // 'B' Bind
  0x44, // 'D' Describe
  0x45, // 'E' Execute
  0x43, // 'C' Close
  0x48, // 'H' Flush
])
const closesBatch = new Set([
  0x53, // 'S' Sync
  0x51, // 'Q' simple Query
])

export function withExtendedQueryAffinity(db: PGlite): PGlite {
  let batchOpen = false
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => batchOpen || target.isInTransaction()
      if (property === 'execProtocolRawStream') {
        return async (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          const type = message[0]
          try {
            return await target.execProtocolRawStream(message, options)
          } finally {
            if (type !== undefined && opensBatch.has(type)) batchOpen = true
            else if (type !== undefined && closesBatch.has(type)) batchOpen = false
          }
        }
      }
      if (property === 'exec') {
        // The server calls exec('ROLLBACK') when the pinned connection goes away: its open batch
        // is abandoned with it.
        return (...args: Parameters<PGlite['exec']>) => {
          batchOpen = false
          return target.exec(...args)
        }
      }
      // PGlite keeps its state in #private fields: methods must run with the real instance as `this`.
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
