// What a local source needs to send as itself (Knative's authentication-oidc): its ServiceAccount's
// subject and where tokens come from. Shared by the KafkaSource and PingSource emulations.
import type { ServiceAccountTokens } from '../auth/local-issuer.ts'

/** Who the source is when it sends (its OIDC ServiceAccount's subject) and where its tokens come from. */
export interface SenderIdentity {
  readonly subject: string
  readonly tokens: ServiceAccountTokens
}

/** `Bearer <token>` for an audience, or undefined where no token is sent (no identity or no audience). */
export function authorizationFor(identity: SenderIdentity | undefined) {
  return async (audience: string | undefined): Promise<string | undefined> => {
    if (identity === undefined || audience === undefined) return undefined
    return `Bearer ${await identity.tokens.token(identity.subject, audience)}`
  }
}

/** A sink's answer that refuses the sender itself: never retried by Knative, a misconfiguration. */
export function isSenderRefusal(status: number | string | null | undefined): boolean {
  return status === 401 || status === 403
}
