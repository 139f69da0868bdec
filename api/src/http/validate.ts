import type { z } from 'zod'
import { type FieldError, fail, problems } from '../problem.ts'

export type InputLocation = 'body' | 'query' | 'params' | 'header'

/** Parses one part of a request; any mismatch becomes a 400 problem naming each field and why. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  location: InputLocation,
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  return fail(problems.validation(fieldErrors(result.error, location)))
}

export function fieldErrors(error: z.ZodError, location: InputLocation): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const path = [location, ...issue.path.map(String)].join('.')
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: `${path}.${key}`, reason: 'unknown field' }))
    }
    if (issue.code === 'invalid_type' && issue.input === undefined)
      return [{ field: path, reason: 'required' }]
    return [{ field: path, reason: issue.message }]
  })
}
