// An error that says the database cannot hold what it was given: retrying the same data can never
// succeed. The functions answer such an event 422 (Knative dead-letters it at once) instead of a 5xx
// that would be redelivered for the whole retry budget, holding up its partition.

/**
 * SQLSTATE class 22 (data_exception: a NUL in text, a number out of range, an invalid date ...) and
 * 54000 (program_limit_exceeded: e.g. an index entry over the btree's ~2.7 KB limit).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isUnstorableDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^(22[0-9A-Z]{3}|54000)$/.test(code)
}
