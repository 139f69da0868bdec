// JSON request bodies: the media type is checked before parsing (415), the size is bounded (413) and a
// syntax error is a 400; body-parser's own errors are translated in problem-response.ts.
import express, { type NextFunction, type Request, type Response } from 'express'
import { fail, problems } from '../problem.ts'

const jsonTypes = ['application/json', 'application/*+json']

export function jsonBody(limit: string) {
  const parse = express.json({ limit, type: jsonTypes, strict: true })
  return (req: Request, res: Response, next: NextFunction): void => {
    if (hasBody(req) && !req.is(jsonTypes)) {
      const given = req.get('content-type')
      fail(
        problems.unsupportedMediaType(
          given === undefined
            ? 'a request body needs Content-Type: application/json'
            : `Content-Type ${given} is not accepted; send application/json`,
        ),
      )
    }
    parse(req, res, next)
  }
}

/** Body present per RFC 9110: a Transfer-Encoding, or a Content-Length above zero. */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = Number(req.headers['content-length'] ?? 0)
  return Number.isFinite(length) && length > 0
}
