import { DatabaseUnreachableError } from './errors.ts'

// One classifier shared by the API (answers 503) and the functions (answer 5xx so the Knative
// dispatcher redelivers): an error is transient when retrying the same request later can succeed.

// SQLSTATE classes/codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
const transientSqlStates = new Set([
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '57P05', // idle_session_timeout
])

// Socket-level failures surfaced by node:net through pg.
const transientSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

// pg reports a dropped or unopenable connection with plain Errors that carry no code.
const transientPgMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]

export function isTransientDatabaseError(error: unknown): boolean {
  return isTransient(error, 0)
}

function isTransient(error: unknown, depth: number): boolean {
  if (depth > 5 || error === null || typeof error !== 'object') return false
  if (error instanceof DatabaseUnreachableError) return true
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (transientSqlStates.has(code) || transientSocketCodes.has(code)))
    return true
  const message = (error as { message?: unknown }).message
  if (typeof message === 'string' && transientPgMessages.some((m) => message.includes(m))) return true
  if (error instanceof AggregateError && error.errors.some((e) => isTransient(e, depth + 1))) return true
  return isTransient((error as { cause?: unknown }).cause, depth + 1)
}
