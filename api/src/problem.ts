// One typed HTTP error, rendered as RFC 9457 problem+json by `http/problem-response.ts` and nowhere else.
// Handlers throw `ProblemError` (express 5 forwards rejected promises to the error middleware), so an
// error path is a single expression and can never fall through to a 500 by accident.

export type FieldError = {
  /** JSON-pointer-like dotted path of the offending input, e.g. `body.title` or `query.limit`. */
  field: string
  reason: string
}

export type Problem = {
  status: number
  title: string
  detail?: string
  /** A URI naming the problem kind; `about:blank` when the status says everything. */
  type?: string
  errors?: FieldError[]
  /** Extra response headers, e.g. `Retry-After` on 503. */
  headers?: Record<string, string>
}

export class ProblemError extends Error {
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title)
    this.name = 'ProblemError'
    this.problem = problem
  }
}

const problemTypeBase = 'https://taskflow.dev/problems/'

export const problems = {
  validation: (errors: FieldError[], detail = 'The request has invalid fields'): Problem => ({
    status: 400,
    title: 'Validation failed',
    type: `${problemTypeBase}validation`,
    detail,
    errors,
  }),
  malformedJson: (detail: string): Problem => ({
    status: 400,
    title: 'Malformed JSON body',
    type: `${problemTypeBase}malformed-json`,
    detail,
    errors: [{ field: 'body', reason: detail }],
  }),
  unauthorized: (detail: string): Problem => ({
    status: 401,
    title: 'Unauthorized',
    type: `${problemTypeBase}unauthorized`,
    detail,
    headers: { 'WWW-Authenticate': 'Bearer' },
  }),
  notFound: (detail = 'No such resource'): Problem => ({ status: 404, title: 'Not found', detail }),
  methodNotAllowed: (allowed: string[]): Problem => ({
    status: 405,
    title: 'Method not allowed',
    detail: `Allowed: ${allowed.join(', ')}`,
    headers: { Allow: allowed.join(', ') },
  }),
  versionConflict: (current: number): Problem => ({
    status: 409,
    title: 'Version conflict',
    type: `${problemTypeBase}version-conflict`,
    detail: `If-Match does not match the current version ("${current}"); fetch the task and retry`,
    errors: [{ field: 'header.if-match', reason: `current version is "${current}"` }],
  }),
  tooLarge: (limit: string): Problem => ({
    status: 413,
    title: 'Request body too large',
    detail: `The body exceeds the limit of ${limit}`,
    errors: [{ field: 'body', reason: `larger than ${limit}` }],
  }),
  unsupportedMediaType: (detail: string): Problem => ({
    status: 415,
    title: 'Unsupported media type',
    detail,
    errors: [{ field: 'header.content-type', reason: detail }],
    headers: {
      'Accept-Post': 'application/json',
      'Accept-Patch': 'application/json, application/merge-patch+json',
    },
  }),
  idempotencyKeyReused: (): Problem => ({
    status: 422,
    title: 'Idempotency key reused',
    type: `${problemTypeBase}idempotency-key-reused`,
    detail: 'This Idempotency-Key was already used with a different request body',
    errors: [{ field: 'header.idempotency-key', reason: 'already used with a different body' }],
  }),
  preconditionRequired: (): Problem => ({
    status: 428,
    title: 'Precondition required',
    detail: 'Send If-Match with the ETag of the task you read',
    errors: [{ field: 'header.if-match', reason: 'required' }],
  }),
  databaseUnavailable: (): Problem => ({
    status: 503,
    title: 'Service unavailable',
    detail: 'The database is unreachable; retry later',
    headers: { 'Retry-After': '1' },
  }),
  internal: (): Problem => ({ status: 500, title: 'Internal server error' }),
}

export function fail(problem: Problem): never {
  throw new ProblemError(problem)
}

/** The problem+json body: RFC 9457 members plus our `errors` extension member. */
export function problemBody(problem: Problem, instance?: string): Record<string, unknown> {
  return {
    type: problem.type ?? 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    ...(instance === undefined ? {} : { instance }),
    ...(problem.errors === undefined ? {} : { errors: problem.errors }),
  }
}
