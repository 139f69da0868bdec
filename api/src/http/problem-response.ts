// The one place errors become HTTP responses: application/problem+json (RFC 9457).
import type { NextFunction, Request, Response } from 'express'
import type { Logger } from 'pino'
import { isTransientDatabaseError } from '../../../db/src/index.ts'
import { type Problem, ProblemError, problemBody, problems } from '../problem.ts'

export function sendProblem(res: Response, problem: Problem, instance?: string): void {
  for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value)
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemBody(problem, instance)))
}

export function problemFor(error: unknown, bodyLimit: string): Problem | undefined {
  if (error instanceof ProblemError) return error.problem
  const clientError = bodyParserProblem(error, bodyLimit)
  if (clientError !== undefined) return clientError
  if (isTransientDatabaseError(error)) return problems.databaseUnavailable()
  return undefined
}

/**
 * body-parser (http-errors, `expose: true`) and the router (a bare `status`, e.g. 400 for a malformed
 * percent-encoding in a path) flag client errors with a 4xx status.
 */
function bodyParserProblem(error: unknown, bodyLimit: string): Problem | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, expose, type, message } = error as {
    status?: unknown
    expose?: unknown
    type?: unknown
    message?: unknown
  }
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499)
    return undefined
  const detail = expose === true && typeof message === 'string' ? message : 'The request is malformed'
  switch (type) {
    case 'entity.too.large':
      return problems.tooLarge(bodyLimit)
    case 'entity.parse.failed':
      return problems.malformedJson(detail)
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return problems.unsupportedMediaType(detail)
    default:
      return { status, title: status === 400 ? 'Bad request' : 'Client error', detail }
  }
}

export function problemResponder(logger: Logger, bodyLimit: string) {
  // Express recognises an error handler by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const log = req.log ?? logger
    const problem = problemFor(error, bodyLimit)
    if (problem === undefined) {
      log.error({ err: error }, 'unhandled error')
      sendProblem(res, problems.internal(), req.originalUrl)
      return
    }
    if (problem.status >= 500) log.warn({ err: error }, problem.title)
    if (res.headersSent) {
      res.end()
      return
    }
    sendProblem(res, problem, req.originalUrl)
  }
}
