// Sender identity for incoming CloudEvents (Knative Eventing's `authentication-oidc`): each source
// sends an OIDC token of its own ServiceAccount for this receiver's audience; a receiver that is not an
// Eventing Addressable (a Knative Service) checks it itself. Used by the functions and by the local
// KafkaSink, so what is refused locally is what is refused on a cluster.
import { readFile } from 'node:fs/promises'
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose'
import { Agent, fetch as undiciFetch } from 'undici'

export type SenderIdentitySettings =
  | { readonly mode: 'disabled' }
  | {
      readonly mode: 'oidc'
      /** The `iss` of the cluster's ServiceAccount tokens. */
      readonly issuer: string
      readonly jwksUrl: string
      /** This receiver's audience: what its senders ask their tokens for. */
      readonly audience: string
      /** Subjects allowed to send; one ending in `*` allows every subject with that prefix (EventPolicy). */
      readonly allowedSubjects: readonly string[]
      /** A bearer token file for the JWKS request (the API server's needs the pod's own token). */
      readonly jwksTokenFile?: string | undefined
      /** A CA bundle for the JWKS URL (the API server's cluster CA). */
      readonly jwksCaFile?: string | undefined
    }

export type SenderVerdict =
  | { readonly ok: true; readonly subject: string }
  /** 401: no or no valid token; 403: a valid token of a sender not allowed; 503: keys unavailable. */
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly reason: string }

export type SenderVerifier = {
  readonly mode: SenderIdentitySettings['mode']
  verify(authorization: string | readonly string[] | undefined): Promise<SenderVerdict>
}

// ServiceAccount tokens are RS256 (Kubernetes), or ES256 where an issuer is configured so.
const algorithms = ['RS256', 'ES256']
// A sender reuses its token for up to an hour: a verified token is remembered until it expires, so an
// event costs a map lookup instead of a signature check. Bounded against a flood of distinct tokens.
const verifiedCacheSize = 1_024

export function createSenderVerifier(settings: SenderIdentitySettings): SenderVerifier {
  if (settings.mode === 'disabled')
    return { mode: 'disabled', verify: async () => ({ ok: true, subject: 'anonymous' }) }
  const oidc = settings
  const keys = remoteKeySet(settings)
  const verified = new Map<string, { subject: string; expiresAtMs: number }>()
  const allowed = subjectMatcher(settings.allowedSubjects)

  async function subjectOf(token: string): Promise<SenderVerdict> {
    const known = verified.get(token)
    if (known && known.expiresAtMs > Date.now()) return { ok: true, subject: known.subject }
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms,
        issuer: oidc.issuer,
        audience: oidc.audience,
        requiredClaims: ['exp', 'sub'],
      })
      if (typeof payload.sub !== 'string') return { ok: false, status: 401, reason: 'token has no subject' }
      if (verified.size >= verifiedCacheSize) verified.clear()
      verified.set(token, { subject: payload.sub, expiresAtMs: (payload.exp as number) * 1000 })
      return { ok: true, subject: payload.sub }
    } catch (error) {
      return rejection(error)
    }
  }

  return {
    mode: 'oidc',
    async verify(authorization) {
      const header = typeof authorization === 'string' ? authorization : authorization?.[0]
      const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header)
      if (!match?.[1]) return { ok: false, status: 401, reason: 'no Bearer token: the sender is unknown' }
      const verdict = await subjectOf(match[1])
      if (!verdict.ok) return verdict
      if (!allowed(verdict.subject))
        return { ok: false, status: 403, reason: `sender ${verdict.subject} may not send here` }
      return verdict
    },
  }
}

function subjectMatcher(patterns: readonly string[]): (subject: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.endsWith('*')))
  const prefixes = patterns.filter((pattern) => pattern.endsWith('*')).map((pattern) => pattern.slice(0, -1))
  return (subject) => exact.has(subject) || prefixes.some((prefix) => subject.startsWith(prefix))
}

function remoteKeySet(settings: Extract<SenderIdentitySettings, { mode: 'oidc' }>): JWTVerifyGetKey {
  const { jwksTokenFile, jwksCaFile } = settings
  if (jwksTokenFile === undefined && jwksCaFile === undefined)
    return createRemoteJWKSet(new URL(settings.jwksUrl))
  let dispatcher: Promise<Agent | undefined> | undefined
  return createRemoteJWKSet(new URL(settings.jwksUrl), {
    // The pod's token is re-read per fetch: the kubelet rotates it.
    [customFetch]: async (url, options) => {
      dispatcher ??= jwksCaFile
        ? readFile(jwksCaFile, 'utf8').then((ca) => new Agent({ connect: { ca } }))
        : Promise.resolve(undefined)
      const headers: Record<string, string> = Object.fromEntries(options.headers.entries())
      if (jwksTokenFile) headers.authorization = `Bearer ${(await readFile(jwksTokenFile, 'utf8')).trim()}`
      const agent = await dispatcher
      return (await undiciFetch(url, {
        ...options,
        headers,
        ...(agent ? { dispatcher: agent } : {}),
      })) as unknown as Response
    },
  })
}

function rejection(error: unknown): SenderVerdict {
  if (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    error instanceof TypeError
  )
    return { ok: false, status: 503, reason: 'the issuer key set is unavailable' }
  if (error instanceof joseErrors.JWTExpired) return { ok: false, status: 401, reason: 'token expired' }
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return { ok: false, status: 401, reason: `token claim "${error.claim}" rejected: ${error.reason}` }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return { ok: false, status: 401, reason: 'token signature does not verify' }
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return { ok: false, status: 401, reason: 'token signed by a key the issuer does not publish' }
  if (error instanceof joseErrors.JOSEError)
    return { ok: false, status: 401, reason: `invalid token (${error.code})` }
  return { ok: false, status: 401, reason: 'invalid token' }
}
