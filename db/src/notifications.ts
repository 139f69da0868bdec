// LISTEN on a PostgreSQL channel, on a connection of its own (a pooled one would be handed to queries),
// kept open across database restarts: after a lost connection it reconnects with backoff and reports a
// notification at once, since any sent while it was away are gone (NOTIFY is not stored for absent
// listeners). PGlite is detected and not listened on: its connections share one session, so a LISTEN
// there would deliver to whichever connection happens to read next.
import pg from 'pg'
import type { Logger } from 'pino'
import { redactUrl } from './redact-url.ts'

export type NotificationListener = {
  /** False on PGlite (nothing is listened to); true once a LISTEN was issued on PostgreSQL. */
  readonly listening: () => boolean
  close(): Promise<void>
}

export type ListenOptions = {
  url: string
  /** A plain lower-case identifier: it is written into the LISTEN statement. */
  channel: string
  applicationName: string
  /** Called for each notification, and once after every (re)connect. */
  onNotification: () => void
  logger?: Logger
  backoff?: { initialMs: number; maxMs: number }
}

export function listenForNotifications(options: ListenOptions): NotificationListener {
  const { url, channel, applicationName, onNotification, logger } = options
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`invalid channel name "${channel}"`)
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 }
  let client: pg.Client | undefined
  let closed = false
  let listening = false
  let failures = 0
  let retry: NodeJS.Timeout | undefined

  const reconnectLater = () => {
    if (closed || retry !== undefined) return
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 16))
    failures++
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, delay)
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: url, application_name: applicationName, keepAlive: true })
    client = next
    // Registered first: a failure while connecting or later must not escape as an unhandled 'error'.
    next.on('error', (error) => {
      logger?.warn({ err: error, url: redactUrl(url), channel }, 'notification connection failed')
    })
    next.on('end', () => {
      listening = false
      if (client === next) reconnectLater()
    })
    try {
      await next.connect()
      const { rows } = await next.query<{ version: string }>('select version()')
      if (rows[0]?.version.includes('PGlite')) {
        logger?.info(
          { channel },
          'PGlite: not listening for notifications (its connections share one session)',
        )
        client = undefined
        await next.end()
        return
      }
      next.on('notification', (message) => {
        if (message.channel === channel) onNotification()
      })
      await next.query(`listen ${channel}`)
      listening = true
      failures = 0
      onNotification()
    } catch (error) {
      logger?.warn({ err: error, url: redactUrl(url), channel }, 'cannot listen for notifications; retrying')
      await next.end().catch(() => {})
      if (client === next) reconnectLater()
    }
  }

  void connect()
  return {
    listening: () => listening,
    async close() {
      closed = true
      clearTimeout(retry)
      const last = client
      client = undefined
      await last?.end().catch(() => {})
    },
  }
}
