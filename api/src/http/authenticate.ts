import type { NextFunction, Request, Response } from 'express'
import type { BearerVerifier, Principal } from '../../../platform/src/auth/index.ts'
import { ProblemError, problems } from '../problem.ts'

declare global {
  namespace Express {
    interface Request {
      principal: Principal
    }
  }
}

export function authenticate(verifier: BearerVerifier) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const result = await verifier.verify(req.get('authorization'))
    if (result.ok) {
      req.principal = result.principal
      next()
      return
    }
    if (result.unavailable === true) {
      throw new ProblemError({
        status: 503,
        title: 'Service unavailable',
        detail: 'Cannot verify tokens right now',
        headers: { 'Retry-After': '5' },
      })
    }
    throw new ProblemError(problems.unauthorized(result.reason))
  }
}
