// JSON request bodies: the media type is checked before parsing (415), the size is bounded (413) and a
// syntax error is a 400; body-parser's own errors are translated in problem-response.ts.
import type { IncomingMessage } from 'node:http'
import express, { type NextFunction, type Request, type Response } from 'express'
import { fail, problems } from '../problem.ts'

const jsonTypes = ['application/json', 'application/*+json']

// The bytes each parsed body came from (decoded, within the limit), for a route that passes the body
// on: re-serialising the parsed value is not always possible (JSON.stringify recurses, JSON.parse does
// not, so a deeply nested body that parsed can overflow the stack when written back).
const rawBodies = new WeakMap<IncomingMessage, Buffer>()

export function jsonBody(limit: string) {
  const parse = express.json({
    limit,
    type: jsonTypes,
    strict: true,
    verify: (req, _res, bytes) => {
      rawBodies.set(req, bytes)
    },
  })
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

/** The JSON text of the body `jsonBody` parsed; undefined when the request had none. */
export function rawJsonBody(req: Request): Buffer | undefined {
  return rawBodies.get(req)
}

/** Body present per RFC 9110: a Transfer-Encoding, or a Content-Length above zero. */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = Number(req.headers['content-length'] ?? 0)
  return Number.isFinite(length) && length > 0
}
