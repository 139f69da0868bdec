import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBearerVerifier } from '../../../platform/src/auth/index.ts'

const secret = 'a-test-secret-that-is-at-least-32-bytes-long'
const hs256 = (claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(key))

describe('bearer verifier', () => {
  describe('HS256', () => {
    const verifier = createBearerVerifier({ mode: 'hs256', secret, issuer: 'taskflow-tests' })

    it('accepts a token signed with the secret and takes the user from sub', async () => {
      const token = await hs256({ sub: 'alice', iss: 'taskflow-tests' })
      const result = await verifier.verify(`Bearer ${token}`)
      expect(result).toMatchObject({ ok: true, principal: { userId: 'alice' } })
    })

    it('rejects a wrong signature, a wrong issuer, an expired token and a token without sub', async () => {
      const wrongKey = await hs256(
        { sub: 'alice', iss: 'taskflow-tests' },
        'another-secret-that-is-at-least-32-bytes',
      )
      expect(await verifier.verify(`Bearer ${wrongKey}`)).toMatchObject({
        ok: false,
        reason: 'bad signature',
      })
      const wrongIssuer = await hs256({ sub: 'alice', iss: 'elsewhere' })
      expect(await verifier.verify(`Bearer ${wrongIssuer}`)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('iss'),
      })
      const expired = await new SignJWT({ sub: 'alice', iss: 'taskflow-tests' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(new TextEncoder().encode(secret))
      expect(await verifier.verify(`Bearer ${expired}`)).toMatchObject({ ok: false, reason: 'token expired' })
      const noSub = await hs256({ iss: 'taskflow-tests' })
      expect(await verifier.verify(`Bearer ${noSub}`)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('sub'),
      })
    })

    it('rejects a token that never expires and a sub that is not a string (issue 19, finding 7)', async () => {
      const forever = await new SignJWT({ sub: 'alice', iss: 'taskflow-tests' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .sign(new TextEncoder().encode(secret))
      expect(await verifier.verify(`Bearer ${forever}`)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('exp'),
      })
      const arraySub = await hs256({ sub: ['alice'], iss: 'taskflow-tests' })
      expect(await verifier.verify(`Bearer ${arraySub}`)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('sub'),
      })
    })

    it('rejects missing, non-bearer and garbage headers, and development tokens', async () => {
      expect(await verifier.verify(undefined)).toMatchObject({
        ok: false,
        reason: 'missing Authorization header',
      })
      expect(await verifier.verify('Basic dXNlcjpwYXNz')).toMatchObject({ ok: false })
      expect(await verifier.verify('Bearer not.a.jwt')).toMatchObject({ ok: false })
      expect(await verifier.verify('Bearer dev.alice')).toMatchObject({ ok: false })
    })
  })

  describe('JWKS', () => {
    let server: Server
    let jwksUrl: string
    let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
    beforeAll(async () => {
      const pair = await generateKeyPair('ES256')
      privateKey = pair.privateKey
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
      server = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ keys: [jwk] }))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
    })
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })

    it('accepts a token signed by a key of the set', async () => {
      const verifier = createBearerVerifier({ mode: 'jwks', jwksUrl, audience: 'taskflow' })
      const token = await new SignJWT({ sub: 'carol', aud: 'taskflow' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setExpirationTime('5m')
        .sign(privateKey)
      expect(await verifier.verify(`Bearer ${token}`)).toMatchObject({
        ok: true,
        principal: { userId: 'carol' },
      })
    })

    it('reports an unreachable key set as unavailable, not as a bad token', async () => {
      const verifier = createBearerVerifier({ mode: 'jwks', jwksUrl: 'http://127.0.0.1:9/jwks.json' })
      const token = await new SignJWT({ sub: 'carol' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(privateKey)
      expect(await verifier.verify(`Bearer ${token}`)).toMatchObject({ ok: false, unavailable: true })
    })
  })

  describe('development mode', () => {
    const verifier = createBearerVerifier({ mode: 'development' })
    it('accepts dev.<userId> and nothing else', async () => {
      expect(await verifier.verify('Bearer dev.bob')).toMatchObject({
        ok: true,
        principal: { userId: 'bob' },
      })
      expect(await verifier.verify('Bearer dev.')).toMatchObject({ ok: false })
      expect(await verifier.verify('Bearer dev.bad user')).toMatchObject({ ok: false })
      expect(await verifier.verify('Bearer bob')).toMatchObject({ ok: false })
    })
  })
})
