// Bearer token verification for the Task API and, later, the functions bundle: this folder imports
// nothing else from api/ so esbuild can bundle it alone. Results are values, never thrown errors.
import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'

export type AuthSettings =
  | { mode: 'hs256'; secret: string; issuer?: string; audience?: string }
  | { mode: 'jwks'; jwksUrl: string; issuer?: string; audience?: string }
  /** Accepts `Bearer dev.<userId>` unverified: for local development only, refused by the config in production. */
  | { mode: 'development' }

export type Principal = { userId: string; claims: JWTPayload }

export type AuthResult =
  | { ok: true; principal: Principal }
  /** `unavailable`: the token could not be checked (JWKS unreachable): a server fault, not the client's. */
  | { ok: false; reason: string; unavailable?: boolean }

export type BearerVerifier = {
  mode: AuthSettings['mode']
  verify(authorizationHeader: string | undefined): Promise<AuthResult>
}

// User ids end up in SQL parameters, logs and CloudEvent `actor` fields: keep them printable and short.
const userIdPattern = /^[A-Za-z0-9._@:|-]{1,128}$/
const devTokenPrefix = 'dev.'

export function createBearerVerifier(settings: AuthSettings): BearerVerifier {
  const verifyToken = tokenVerifierFor(settings)
  return {
    mode: settings.mode,
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader)
      if (!token.ok) return token
      return verifyToken(token.value)
    },
  }
}

function bearerToken(
  header: string | undefined,
): { ok: true; value: string } | { ok: false; reason: string } {
  if (header === undefined || header.trim() === '')
    return { ok: false, reason: 'missing Authorization header' }
  const match = /^Bearer +(\S+)\s*$/i.exec(header)
  if (match === null) return { ok: false, reason: 'Authorization must be "Bearer <token>"' }
  return { ok: true, value: match[1]! }
}

function tokenVerifierFor(settings: AuthSettings): (token: string) => Promise<AuthResult> {
  switch (settings.mode) {
    case 'development':
      return async (token) => {
        if (!token.startsWith(devTokenPrefix)) {
          return { ok: false, reason: 'development mode expects "Bearer dev.<userId>"' }
        }
        const userId = token.slice(devTokenPrefix.length)
        if (!userIdPattern.test(userId)) return { ok: false, reason: 'invalid development user id' }
        return { ok: true, principal: { userId, claims: { sub: userId } } }
      }
    case 'hs256': {
      const key = new TextEncoder().encode(settings.secret)
      return (token) => verifyJwt(token, key, ['HS256'], settings)
    }
    case 'jwks': {
      // jose caches the key set and refetches on an unknown `kid`, with a cooldown against floods.
      const keySet = createRemoteJWKSet(new URL(settings.jwksUrl))
      return (token) => verifyJwt(token, keySet, undefined, settings)
    }
  }
}

async function verifyJwt(
  token: string,
  key: Uint8Array | JWTVerifyGetKey,
  algorithms: string[] | undefined,
  settings: { issuer?: string; audience?: string },
): Promise<AuthResult> {
  try {
    const options = {
      // A token without `exp` would be valid forever: refused.
      requiredClaims: ['exp'],
      ...(algorithms === undefined ? {} : { algorithms }),
      ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
      ...(settings.audience === undefined ? {} : { audience: settings.audience }),
    }
    const { payload } =
      typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)
    const userId: unknown = payload.sub
    // jose checks `sub`'s type only when told which subject to expect: an array would pass the pattern.
    if (typeof userId !== 'string' || !userIdPattern.test(userId)) {
      return { ok: false, reason: 'token has no valid "sub" claim' }
    }
    return { ok: true, principal: { userId, claims: payload } }
  } catch (error) {
    return rejection(error)
  }
}

function rejection(error: unknown): AuthResult {
  if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired' }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return { ok: false, reason: `claim "${error.claim}" rejected: ${error.reason}` }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return { ok: false, reason: 'bad signature' }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { ok: false, reason: 'no key matches the token' }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return { ok: false, reason: 'key set unavailable', unavailable: true }
  }
  if (error instanceof joseErrors.JOSEError) return { ok: false, reason: `invalid token (${error.code})` }
  // fetch() failures while loading the JWKS surface as TypeError: the issuer is down, not the token bad.
  if (error instanceof TypeError) return { ok: false, reason: 'key set unavailable', unavailable: true }
  return { ok: false, reason: 'invalid token' }
}
