// Idempotency-Key on POST (the IETF httpapi idempotency-key draft): the first request with a key
// stores its response; a retry with the same key and body gets that response again and causes no
// second task or event; the same key with another body is a client error (422).
import { createHash } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { TasksDatabase } from '../database.ts'
import { fail, problems } from '../problem.ts'

export type IdempotencyRequest = { key: string; requestHash: string }

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'conflict' }

const keyPattern = /^[\x21-\x7e]{1,255}$/

/** Reads the header; undefined when absent, a 400 when it is not 1-255 visible ASCII characters. */
export function idempotencyRequestOf(
  header: string | undefined,
  rawBody: unknown,
): IdempotencyRequest | undefined {
  if (header === undefined) return undefined
  if (!keyPattern.test(header)) {
    fail(
      problems.validation([
        { field: 'header.idempotency-key', reason: 'must be 1-255 visible ASCII characters' },
      ]),
    )
  }
  return { key: header, requestHash: hashBody(rawBody) }
}

/**
 * Keys are stored per user (one user cannot replay or block another's key). Inside the creating
 * transaction: a concurrent request with the same key waits on the primary key until the first
 * commits, then replays its response; if the first rolls back, the key is free again.
 */
export async function claimIdempotencyKey(
  trx: Transaction<TasksDatabase>,
  userId: string,
  request: IdempotencyRequest,
  response: { status: number; body: unknown; taskId: string },
): Promise<IdempotencyClaim> {
  const inserted = await trx
    .insertInto('tasks.idempotency_keys')
    .values({
      user_id: userId,
      key: request.key,
      request_hash: request.requestHash,
      status_code: response.status,
      response_body: JSON.stringify(response.body),
      task_id: response.taskId,
    })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst()
  if (inserted !== undefined) return { kind: 'claimed' }
  const stored = await trx
    .selectFrom('tasks.idempotency_keys')
    .select(['request_hash', 'status_code', 'response_body'])
    .where('user_id', '=', userId)
    .where('key', '=', request.key)
    .executeTakeFirstOrThrow()
  if (stored.request_hash !== request.requestHash) return { kind: 'conflict' }
  return { kind: 'replay', status: stored.status_code, body: stored.response_body }
}

/** Same JSON value, same hash, whatever the key order or whitespace of the body. */
export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
