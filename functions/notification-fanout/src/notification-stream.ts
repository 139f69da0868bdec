import { PassThrough, type Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import { parseSeq } from '#kit'
import { newestSeq, notificationsSince, type RecipientNotification } from './notification-store.ts'
import type { NotificationTables } from './notification-tables.ts'

// Live in-app notifications over Server-Sent Events. The fanout may run in any replica (Knative
// spreads events across pods) while the user's stream is held by another, so the stream cannot wait
// for an in-process signal: each process polls the shared table for its open streams' users, one
// query per poll for all of them. PostgreSQL LISTEN/NOTIFY would wake it sooner, but through the
// embedded PGlite socket server a NOTIFY reaches only the connection that sent it (db/README.md),
// so one mechanism that works on both is used. A comment line every heartbeat keeps idle streams
// open through proxies; `Last-Event-ID` (the notification's seq) resumes after a reconnect.

export type NotificationStreamHub = {
  /** A text/event-stream body for `userId`; ends when the client goes or the hub closes. */
  open(userId: string, lastEventId?: string): Promise<Readable>
  /** Open streams, for tests and metrics. */
  readonly size: number
  close(): Promise<void>
}

type Subscriber = {
  readonly userId: string
  readonly stream: PassThrough
  /** Only notifications past this seq are sent (the newest at open, or Last-Event-ID). */
  readonly floorSeq: bigint
  /** Ids already sent, limited to the ones the last poll could return again. */
  sent: Set<string>
}

type Log = { warn(object: object, message?: string): void }

/**
 * The stream body handed to faas-js-runtime. Fastify 4 sends a stream body with setHeader and lets
 * the headers go out with the first piped chunk, one tick later; faas-js-runtime's handler resolves
 * before that, and fastify then sees an async handler that resolved with nothing and no headers
 * sent, and ends the response, so the client gets an empty 200 ("write after end"). Flushing the
 * headers when the runtime pipes the body marks the response as started before that check.
 */
export class EventStreamBody extends PassThrough {
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    const flushHeaders = (destination as { flushHeaders?: () => void }).flushHeaders
    if (typeof flushHeaders === 'function') flushHeaders.call(destination)
    return super.pipe(destination, options)
  }
}

const lookbackMs = 5000

export function createNotificationStreamHub(options: {
  db: () => Kysely<NotificationTables>
  pollMs: number
  heartbeatMs: number
  log?: Log
}): NotificationStreamHub {
  const subscribers = new Set<Subscriber>()
  let cursor: string | undefined
  let pollTimer: NodeJS.Timeout | undefined
  let heartbeatTimer: NodeJS.Timeout | undefined
  let polling = false

  function schedule(): void {
    if (subscribers.size === 0) {
      clearTimeout(pollTimer)
      clearInterval(heartbeatTimer)
      pollTimer = undefined
      heartbeatTimer = undefined
      return
    }
    pollTimer ??= setTimeout(poll, options.pollMs)
    heartbeatTimer ??= setInterval(() => {
      for (const subscriber of subscribers) subscriber.stream.write(': heartbeat\n\n')
    }, options.heartbeatMs)
  }

  async function poll(): Promise<void> {
    pollTimer = undefined
    if (polling || subscribers.size === 0) return schedule()
    polling = true
    try {
      const users = [...new Set([...subscribers].map((subscriber) => subscriber.userId))]
      cursor ??= await newestSeq(options.db())
      const rows = await notificationsSince(options.db(), {
        recipients: users,
        afterSeq: cursor,
        lookbackMs,
        limit: 1000,
      })
      for (const row of rows) if (BigInt(row.seq) > BigInt(cursor)) cursor = row.seq
      const returned = new Set(rows.map((row) => row.id))
      for (const subscriber of subscribers) {
        for (const row of rows) {
          if (row.recipient !== subscriber.userId) continue
          if (BigInt(row.seq) <= subscriber.floorSeq || subscriber.sent.has(row.id)) continue
          subscriber.stream.write(frameOf(row))
          subscriber.sent.add(row.id)
        }
        // A row not returned now is past the lookback and behind the cursor: it cannot come again.
        subscriber.sent = new Set([...subscriber.sent].filter((id) => returned.has(id)))
      }
    } catch (error) {
      // A database hiccup delays the stream; the next poll catches up (rows are only ever added).
      options.log?.warn({ err: error }, 'notification stream poll failed')
    } finally {
      polling = false
      schedule()
    }
  }

  return {
    get size() {
      return subscribers.size
    },
    async open(userId, lastEventId) {
      const resumeFrom = lastEventId === undefined ? undefined : parseSeq(lastEventId)
      const newest = await newestSeq(options.db())
      cursor ??= newest
      // A resuming client gets what it missed from its own query; the shared cursor never moves
      // back, which would make every other stream see old rows again.
      const missed =
        resumeFrom === undefined
          ? []
          : await notificationsSince(options.db(), {
              recipients: [userId],
              afterSeq: resumeFrom,
              lookbackMs: 0,
              limit: 1000,
            })
      const floor = resumeFrom ?? newest
      const stream = new EventStreamBody()
      const subscriber: Subscriber = { userId, stream, floorSeq: BigInt(floor), sent: new Set() }
      subscribers.add(subscriber)
      stream.once('close', () => {
        subscribers.delete(subscriber)
        schedule()
      })
      // The first bytes go out at once so the client sees the response start; `retry` sets how long
      // an EventSource waits before reconnecting.
      stream.write(`retry: 3000\n: connected\n\n`)
      for (const row of missed) {
        stream.write(frameOf(row))
        subscriber.sent.add(row.id)
      }
      schedule()
      return stream
    },
    async close() {
      for (const subscriber of subscribers) subscriber.stream.end()
      subscribers.clear()
      schedule()
    },
  }
}

function frameOf(notification: RecipientNotification): string {
  const { recipient: _recipient, ...visible } = notification
  return `id: ${notification.seq}\nevent: notification\ndata: ${JSON.stringify(visible)}\n\n`
}
