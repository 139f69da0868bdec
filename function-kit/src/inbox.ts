import { type Kysely, sql, type Transaction } from 'kysely'

// The idempotent inbox. Knative delivers at least once (a KafkaSource redelivers whatever it could
// not commit, a dispatcher retries on timeout even when the function succeeded), so an effect must
// be recorded together with the id of the event that caused it: `<schema>.processed_events
// (source, id)` is inserted in the same transaction as the effect, and a redelivered event finds
// its row there and has no second effect. CloudEvents makes (source, id) unique per event.
// A hot path can fold the insert into the one statement of its effect instead (audit-log's
// append_entry, reminders' schedule, the fan-out's close: one round trip per event); processOnce is
// for an effect of several statements. Each function's first migration creates the table:
//   create table processed_events (source text not null, id text not null,
//     processed_at timestamptz not null default now(), primary key (source, id))

export type InboxResult<T> = { readonly duplicate: false; readonly value: T } | { readonly duplicate: true }

export type EventKey = { readonly source: string; readonly id: string }

/**
 * Runs `effect` in one transaction with the inbox insert of `event`. When the event was already
 * processed the effect does not run and the result is `{ duplicate: true }`. An error thrown by the
 * effect rolls back both, so a failed attempt leaves no trace and the redelivery runs it again.
 */
export async function processOnce<DB, T>(
  db: Kysely<DB>,
  schema: string,
  event: EventKey,
  effect: (trx: Transaction<DB>) => Promise<T>,
): Promise<InboxResult<T>> {
  assertIdentifier(schema)
  return db.transaction().execute(async (trx) => {
    const inserted = await sql`insert into ${sql.table(`${schema}.processed_events`)} (source, id)
      values (${event.source}, ${event.id}) on conflict do nothing returning id`.execute(trx)
    if (inserted.rows.length === 0) return { duplicate: true } as const
    return { duplicate: false, value: await effect(trx) } as const
  })
}

// The schema name is interpolated into SQL as an identifier: accept only plain lowercase names.
function assertIdentifier(schema: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TypeError(`invalid schema name "${schema}"`)
}
