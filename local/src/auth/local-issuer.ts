// The local stand-in for the cluster's ServiceAccount token issuer (the API server's OIDC discovery and
// JWKS, what Knative's sources ask for tokens through the TokenRequest API). Tokens look like
// Kubernetes' own: RS256, `sub` system:serviceaccount:<ns>:<name>, one audience, an hour of life.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export interface ServiceAccountTokens {
  /** A token for `subject` and `audience`, reused until it nears its expiry (as Knative's provider does). */
  token(subject: string, audience: string): Promise<string>
}

export interface LocalIssuer extends ServiceAccountTokens {
  /** The tokens' `iss`, which is also the discovery base URL. */
  readonly issuer: string
  readonly jwksUrl: string
  close(): Promise<void>
}

// Knative requests tokens for an hour (pkg/auth TokenExpirationTime) and renews them before they end.
const lifetimeSeconds = 3_600
const renewBeforeMs = 15 * 60_000
const discoveryPath = '/.well-known/openid-configuration'
const jwksPath = '/openid/v1/jwks'

export async function startLocalIssuer(
  options: { readonly lifetimeSeconds?: number } = {},
): Promise<LocalIssuer> {
  const lifetime = options.lifetimeSeconds ?? lifetimeSeconds
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const kid = crypto.randomUUID()
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] })
  let discovery = ''
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const body = path === jwksPath ? jwks : path === discoveryPath ? discovery : undefined
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const jwksUrl = `${issuer}${jwksPath}`
  discovery = JSON.stringify({
    issuer,
    jwks_uri: jwksUrl,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  })

  const cache = new Map<string, { token: string; renewAtMs: number }>()
  async function mint(subject: string, audience: string): Promise<string> {
    const [, , namespace = '', name = ''] = subject.split(':')
    return new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name } } })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${lifetime}s`)
      .sign(privateKey)
  }

  return {
    issuer,
    jwksUrl,
    async token(subject, audience) {
      const key = `${subject}\n${audience}`
      const cached = cache.get(key)
      if (cached && cached.renewAtMs > Date.now()) return cached.token
      const token = await mint(subject, audience)
      cache.set(key, {
        token,
        renewAtMs: Date.now() + Math.max(lifetime * 1000 - renewBeforeMs, lifetime * 500),
      })
      return token
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
