// What one documented operation is: each route module lists its own (tasks/task-operations.ts,
// function-read-operations.ts, service-operations.ts) next to the routes they describe; openapi.ts
// gathers them into /openapi.json, and a test walks the app's router against them both ways, so an
// undocumented route, or a documented one nobody serves, fails the build.
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject } from 'zod-openapi'
import { problemSchema } from './tasks/task-schemas.ts'

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete'

export type ApiOperation = {
  readonly method: HttpMethod
  /** OpenAPI path template, e.g. `/tasks/{id}` (express's `/tasks/:id`). */
  readonly path: `/${string}`
  /** With `operationId` and one tag: the reference UI groups and links operations by them. */
  readonly operation: ZodOpenApiOperationObject & { operationId: string; tags: [string] }
}

/** An error answer: RFC 9457 problem+json, the one shape of every error the API sends. */
export function problem(description: string): ZodOpenApiResponseObject {
  return { description, content: { 'application/problem+json': { schema: problemSchema } } }
}

/** What any operation behind the bearer check may answer before its own handler runs. */
export const authenticatedProblems = {
  '401': problem('Missing or invalid bearer token (sent with a `WWW-Authenticate: Bearer` challenge)'),
  '503': problem(
    'A service it needs is unavailable (the database, the token verifier, the function it reads from); retry later',
  ),
} as const
