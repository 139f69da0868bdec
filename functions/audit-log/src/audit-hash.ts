import { createHash } from 'node:crypto'

// Tamper evidence: each row's hash covers its content and the previous row's hash of the same task,
// so changing, removing or reordering a row breaks every later link of that task's chain.

/** The hashed content of one audit row. */
export type AuditEntryContent = {
  readonly eventId: string
  readonly eventSource: string
  readonly eventType: string
  readonly taskId: string
  readonly actor: string | null
  /** ISO 8601 in UTC with milliseconds, as Date#toISOString() writes it. */
  readonly occurredAt: string
  readonly correlationId: string | null
  readonly causationId: string | null
  readonly data: unknown
  readonly changes: unknown
}

export function entryHash(previousHash: string | null, content: AuditEntryContent): string {
  return createHash('sha256')
    .update(canonicalJson({ previousHash, ...content }))
    .digest('hex')
}

// jsonb stores object keys in its own order, so the hash is taken over a canonical form: keys
// sorted, no whitespace (the JSON Canonicalization Scheme, RFC 8785, for the JSON our events hold).
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
}
