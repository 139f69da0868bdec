// Who is calling a function's plain-HTTP reads. The verifier is a plain async function so the Task
// API's JWT verifier (api/src/auth/) plugs in without the functions knowing how tokens are made.

export type Caller = { readonly userId: string }

export type AuthFailure = {
  readonly reason: 'missing-credentials' | 'invalid-credentials'
  readonly detail: string
}

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly error: AuthFailure }

/** Checks a bearer token (the text after `Bearer `). */
export type TokenVerifier = (token: string) => Promise<AuthResult>

const devTokenPattern = /^dev\.([A-Za-z0-9._@:-]{1,128})$/

/** Development only: `Bearer dev.<userId>` names the caller, no signature. */
export const verifyDevToken: TokenVerifier = async (token) => {
  const match = devTokenPattern.exec(token)
  if (match?.[1] === undefined) {
    return {
      ok: false,
      error: { reason: 'invalid-credentials', detail: 'expected a token of the form dev.<userId>' },
    }
  }
  return { ok: true, caller: { userId: match[1] } }
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
