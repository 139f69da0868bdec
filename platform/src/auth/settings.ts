// The AUTH_* settings every process that verifies bearer tokens reads (the Task API and the functions):
// one set of variables, one set of rules, one mapping to the verifier's settings.
import { z } from 'zod'
import { trimmedOrUnset } from '../env.ts'
import type { AuthSettings } from './bearer-verifier.ts'

/**
 * Spread into a process's env schema: AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL, optional AUTH_ISSUER /
 * AUTH_AUDIENCE; neither: development tokens, which NODE_ENV=production refuses (authIssues).
 */
export const authVariables = {
  NODE_ENV: z.preprocess(
    trimmedOrUnset,
    z.enum(['development', 'test', 'production']).default('development'),
  ),
  AUTH_JWT_SECRET: z.preprocess(
    trimmedOrUnset,
    z.string().min(32, 'an HS256 secret needs at least 32 bytes').optional(),
  ),
  AUTH_JWKS_URL: z.preprocess(trimmedOrUnset, z.url().optional()),
  AUTH_ISSUER: z.preprocess(trimmedOrUnset, z.string().optional()),
  AUTH_AUDIENCE: z.preprocess(trimmedOrUnset, z.string().optional()),
}

export type AuthVariables = z.output<z.ZodObject<typeof authVariables>>

/** What is wrong with a parsed env's AUTH_* combination (by variable), empty when nothing is. */
export function authIssues(
  env: Pick<AuthVariables, 'NODE_ENV' | 'AUTH_JWT_SECRET' | 'AUTH_JWKS_URL'>,
): { path: string[]; message: string }[] {
  if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWKS_URL !== undefined)
    return [{ path: ['AUTH_JWKS_URL'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' }]
  if (env.NODE_ENV === 'production' && env.AUTH_JWT_SECRET === undefined && env.AUTH_JWKS_URL === undefined)
    return [
      {
        path: ['AUTH_JWT_SECRET'],
        message: 'production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (development tokens are refused)',
      },
    ]
  return []
}

/** The verifier's settings of an env without authIssues. */
export function authSettingsOf(env: AuthVariables): AuthSettings {
  const claims = {
    ...(env.AUTH_ISSUER === undefined ? {} : { issuer: env.AUTH_ISSUER }),
    ...(env.AUTH_AUDIENCE === undefined ? {} : { audience: env.AUTH_AUDIENCE }),
  }
  if (env.AUTH_JWT_SECRET !== undefined) return { mode: 'hs256', secret: env.AUTH_JWT_SECRET, ...claims }
  if (env.AUTH_JWKS_URL !== undefined) return { mode: 'jwks', jwksUrl: env.AUTH_JWKS_URL, ...claims }
  return { mode: 'development' }
}
