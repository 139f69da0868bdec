// Who is calling a function's plain-HTTP reads. Tokens are checked by the Task API's own verifier
// (platform/src/auth/, bundled into the kit by esbuild), so a token the API accepts the functions accept,
// and development tokens are honoured only where the API honours them.
import { type AuthSettings, createBearerVerifier } from '../../platform/src/auth/index.ts'
import type { FunctionResponse } from './outcome.ts'
import { problem } from './problem.ts'

export type { AuthSettings }

export type Caller = { readonly userId: string }

export type AuthFailure = {
  /** `verifier-unavailable`: the key set could not be fetched: the server's fault, not the caller's. */
  readonly reason: 'missing-credentials' | 'invalid-credentials' | 'verifier-unavailable'
  readonly detail: string
}

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly error: AuthFailure }

/** Checks a bearer token (the text after `Bearer `). */
export type TokenVerifier = (token: string) => Promise<AuthResult>

/** The Task API's verifier for `settings` (config `auth`): HS256, JWKS or development tokens. */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  const bearer = createBearerVerifier(settings)
  return async (token) => {
    const result = await bearer.verify(`Bearer ${token}`)
    if (result.ok) return { ok: true, caller: { userId: result.principal.userId } }
    return {
      ok: false,
      error: {
        reason: result.unavailable === true ? 'verifier-unavailable' : 'invalid-credentials',
        detail: result.reason,
      },
    }
  }
}

/** Reads the Authorization header and hands its bearer token to `verify`. */
export async function authenticate(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  verify: TokenVerifier,
): Promise<AuthResult> {
  const header = headers.authorization
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value === '') {
    return {
      ok: false,
      error: { reason: 'missing-credentials', detail: 'an Authorization: Bearer header is required' },
    }
  }
  const match = /^Bearer\s+(\S+)$/i.exec(value)
  if (match?.[1] === undefined) {
    return {
      ok: false,
      error: { reason: 'invalid-credentials', detail: 'the Authorization header must be Bearer <token>' },
    }
  }
  return verify(match[1])
}

/** 401 with a Bearer challenge (RFC 6750, as the Task API answers), or 503 when keys are unreachable. */
export function authProblem(failure: AuthFailure): FunctionResponse {
  if (failure.reason === 'verifier-unavailable') {
    return problem(503, 'Service unavailable', `tokens cannot be checked now: ${failure.detail}`)
  }
  const response = problem(401, 'Unauthorized', failure.detail)
  return { ...response, headers: { ...response.headers, 'www-authenticate': 'Bearer' } }
}
