import { type Kysely, sql } from 'kysely'
import { encodeSeqCursor } from '#kit'
import type { NotificationsTable, NotificationTables } from './notification-tables.ts'

// The in-app notifications: stored once per (cause event, recipient), listed newest first, marked read.

export type NewNotification = {
  readonly id: string
  readonly recipient: string
  readonly kind: string
  readonly taskId: string
  readonly title: string
  readonly message: string
  readonly causeEventId: string
  readonly causeEventSource: string
  readonly occurredAt: string
}

export type NotificationView = {
  readonly id: string
  readonly seq: string
  readonly kind: string
  readonly taskId: string
  readonly title: string
  readonly message: string
  readonly causeEventId: string
  readonly occurredAt: string
  readonly createdAt: string
  readonly read: boolean
  readonly readAt: string | null
}

export type NotificationPage = {
  readonly notifications: readonly NotificationView[]
  readonly nextCursor: string | null
  readonly unread: number
}

type NotificationRow = Omit<NotificationsTable, 'seq' | 'created_at'> & { seq: string; created_at: Date }

export async function listNotifications(
  db: Kysely<NotificationTables>,
  query: { recipient: string; beforeSeq?: string | undefined; unreadOnly: boolean; limit: number },
): Promise<NotificationPage> {
  let select = db.selectFrom('notifications').selectAll().where('recipient', '=', query.recipient)
  if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq)
  if (query.unreadOnly) select = select.where('read_at', 'is', null)
  const rows = (await select
    .orderBy('seq', 'desc')
    .limit(query.limit + 1)
    .execute()) as NotificationRow[]
  const unread = await db
    .selectFrom('notifications')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('recipient', '=', query.recipient)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  const shown = rows.slice(0, query.limit)
  const last = shown.at(-1)
  return {
    notifications: shown.map(notificationView),
    nextCursor: rows.length > query.limit && last ? encodeSeqCursor(last.seq) : null,
    unread: unread.n,
  }
}

/** Marks one of the recipient's notifications read (once: the first read time stays); false if not theirs. */
export async function markRead(
  db: Kysely<NotificationTables>,
  recipient: string,
  id: string,
): Promise<{ found: boolean }> {
  const row = await db
    .updateTable('notifications')
    .set({ read_at: sql<Date>`coalesce(read_at, now())` })
    .where('id', '=', id)
    .where('recipient', '=', recipient)
    .returning('id')
    .executeTakeFirst()
  return { found: row !== undefined }
}

/** The newest seq, or '0' when there is none. */
export async function newestSeq(db: Kysely<NotificationTables>): Promise<string> {
  const row = await db
    .selectFrom('notifications')
    .select(sql<string>`coalesce(max(seq), 0)::text`.as('seq'))
    .executeTakeFirstOrThrow()
  return row.seq
}

/**
 * Notifications of `recipients` past `afterSeq`, plus every one created in the last `lookbackMs`:
 * a row's seq is taken at insert but becomes visible at commit, so on PostgreSQL a lower seq can
 * appear after a higher one; the lookback catches it (the caller drops what it already sent).
 */
export async function notificationsSince(
  db: Kysely<NotificationTables>,
  query: { recipients: readonly string[]; afterSeq: string; lookbackMs: number; limit: number },
): Promise<RecipientNotification[]> {
  if (query.recipients.length === 0) return []
  const rows = (await db
    .selectFrom('notifications')
    .selectAll()
    .where('recipient', 'in', [...query.recipients])
    .where((eb) =>
      eb.or([
        eb('seq', '>', query.afterSeq),
        eb('created_at', '>', sql<Date>`now() - make_interval(secs => ${query.lookbackMs / 1000})`),
      ]),
    )
    .orderBy('seq')
    .limit(query.limit)
    .execute()) as NotificationRow[]
  return rows.map(notificationView)
}

export type RecipientNotification = NotificationView & { readonly recipient: string }

export function notificationView(row: NotificationRow): RecipientNotification {
  return {
    id: row.id,
    seq: row.seq,
    recipient: row.recipient,
    kind: row.kind,
    taskId: row.task_id,
    title: row.title,
    message: row.message,
    causeEventId: row.cause_event_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    read: row.read_at !== null,
    readAt: row.read_at === null ? null : new Date(row.read_at).toISOString(),
  }
}
