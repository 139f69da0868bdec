import { isUnstorableDataError } from '../../db/src/index.ts'
import {
  type FunctionResponse,
  failed,
  type Outcome,
  toResponse,
  unavailable,
  unprocessable,
} from './outcome.ts'

// The part of faas-js-runtime's Context a function uses. Declared here (not imported) so the kit
// stays free of the runtime's types and a test can build one by hand.
export type InvocationLog = {
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
  error(object: object, message?: string): void
}

export type FunctionContext = {
  readonly method?: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly query?: Readonly<Record<string, unknown>>
  readonly body?: unknown
  readonly log?: InvocationLog
}

/** Decides whether a thrown error is worth a retry (e.g. db/'s isTransientDatabaseError). */
export type TransientErrorTest = (error: unknown) => boolean

/**
 * Runs one unit of work and turns whatever happens into a response: an Outcome as it maps, a thrown
 * error into 503 when `isTransient` says a retry can succeed, 422 when the database cannot store what
 * the input holds (a retry never could: the event is dead-lettered, not redelivered forever), else
 * 500. faas-js-runtime would also map a thrown error, but it uses `error.code` as the status, and pg's
 * codes are strings such as 'ECONNREFUSED': every error is caught here so the status is one we chose.
 */
export async function respond(
  context: FunctionContext,
  work: () => Promise<Outcome>,
  isTransient: TransientErrorTest,
): Promise<FunctionResponse> {
  let outcome: Outcome
  try {
    outcome = await work()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (isUnstorableDataError(error)) {
      // Logged below as a rejected event: the input's fault, not the function's.
      outcome = unprocessable(`the database cannot store this event: ${reason}`)
    } else {
      outcome = isTransient(error) ? unavailable(reason) : failed(reason)
      context.log?.error({ err: error, status: outcome.status }, 'invocation failed')
    }
  }
  if (outcome.kind === 'permanent')
    context.log?.warn({ status: outcome.status, reason: outcome.reason }, 'event rejected')
  if (outcome.kind === 'transient' && outcome.status === 503) {
    context.log?.warn(
      { status: outcome.status, reason: outcome.reason },
      'dependency unavailable, asking for redelivery',
    )
  }
  return toResponse(outcome)
}

/** One string query parameter: faas-js-runtime parses `?a=1&a=2` into an array, `?a[b]=1` into an object. */
export function queryParameter(context: FunctionContext, name: string): string | undefined {
  const value = context.query?.[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}
