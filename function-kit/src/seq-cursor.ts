// Opaque page cursors over a PostgreSQL `bigint` seq (`seq:<n>`, base64url), shared by the functions'
// reads. A client can send anything back: a number past the bigint range would make PostgreSQL fail
// the query (22003, a 500), so such a cursor is refused like any other that this service never issued.

const maxSeq = 9_223_372_036_854_775_807n

export function encodeSeqCursor(seq: string): string {
  return Buffer.from(`seq:${seq}`).toString('base64url')
}

/** The seq a cursor names, or undefined when the text is not a cursor this service could have issued. */
export function decodeSeqCursor(cursor: string): string | undefined {
  const seq = /^seq:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1]
  return seq === undefined ? undefined : parseSeq(seq)
}

/** A seq as a client echoes it (SSE `Last-Event-ID`): decimal digits within the bigint range, else undefined. */
export function parseSeq(text: string): string | undefined {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= maxSeq ? text : undefined
}
