import type { Request, Response } from 'express'
import { fail, problems } from '../problem.ts'

/** The last handler of a route: any method it has no handler for is a 405 problem naming the others. */
export function methodNotAllowed(allowed: readonly string[]) {
  return (_req: Request, _res: Response): never => fail(problems.methodNotAllowed([...allowed]))
}
