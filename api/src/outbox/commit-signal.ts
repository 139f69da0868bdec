// How a commit that wrote outbox rows reaches the relay that publishes them.
//
// The relay of this process (inline, or on its worker thread) is woken directly: a call, or one
// message to its thread. A relay elsewhere (another replica holding the lanes, or a standby taking them
// over) can only hear it from PostgreSQL: then this replica sends NOTIFY on the outbox channel.
//
// The NOTIFY is its own statement after the commit, never part of the writing transaction: PostgreSQL
// serializes the commits of every transaction that notified (a database-wide lock held through the
// commit's WAL flush). Measured with a NOTIFY in every write at a steady 1,000 POST /tasks per second on
// 2 cores, most concurrently committing writes were waiting on that lock (wait event Lock:object) or on
// the flush behind it, one commit at a time. Now writes commit side by side (their WAL flushes group),
// and a replica has at most one NOTIFY in flight: commits that finish meanwhile share the next one.
//
// A commit whose lanes all belong to the relay of this process sends none. If that relay loses a lane
// meanwhile (its lease lapsed), the lane's new owner finds the rows at its next poll: later, never lost;
// so is a NOTIFY that fails or a replica that dies between its commit and the NOTIFY.
import type { Logger } from 'pino'
import type { OutboxRelay } from './outbox-relay.ts'

export type OutboxCommitSignal = {
  /** After a commit that wrote outbox rows in these lanes: whoever publishes them does it now. */
  committed(lanes: Iterable<number>): void
}

export function outboxCommitSignal(options: {
  /** The relay of this process, if it runs one. */
  relay: Pick<OutboxRelay, 'wake' | 'ownsLane'> | undefined
  /** Sends one NOTIFY on the outbox channel (outbox-writer.ts). */
  notify: () => Promise<void>
  logger: Logger
}): OutboxCommitSignal {
  const { relay, notify, logger } = options
  let notifying = false
  let notifyAgain = false

  function notifyOthers(): void {
    if (notifying) {
      notifyAgain = true
      return
    }
    notifying = true
    notify()
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'could not notify the outbox relay; it publishes at its next poll'),
      )
      .finally(() => {
        notifying = false
        if (notifyAgain) {
          notifyAgain = false
          notifyOthers()
        }
      })
  }

  return {
    committed(lanes) {
      let ours = false
      let theirs = false
      for (const lane of lanes) {
        if (relay?.ownsLane(lane) === true) ours = true
        else theirs = true
      }
      if (ours) relay?.wake()
      if (theirs) notifyOthers()
    },
  }
}
