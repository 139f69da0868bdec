import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../api/src/config.ts'

describe('api config', () => {
  it('has defaults for a local start', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      taskEventsTopic: 'task-events',
      auth: { mode: 'development' },
      kafkaBrokers: [],
      bodyLimit: '100kb',
    })
  })

  it('parses brokers, an HS256 secret and a JWKS URL', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:9092, b:9092' }).kafkaBrokers).toEqual(['a:9092', 'b:9092'])
    expect(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_ISSUER: 'me' }).auth).toEqual({
      mode: 'hs256',
      secret: 'x'.repeat(32),
      issuer: 'me',
    })
    expect(loadConfig({ AUTH_JWKS_URL: 'https://id.example/jwks.json' }).auth).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://id.example/jwks.json',
    })
  })

  it('refuses production without real authentication', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET/)
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(40) }).auth.mode).toBe('hs256')
  })

  it('lists every invalid setting', () => {
    try {
      loadConfig({ PORT: 'eighty', AUTH_JWT_SECRET: 'short', BODY_LIMIT: 'huge' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const issues = (error as ConfigError).issues.join('\n')
      expect(issues).toMatch(/PORT/)
      expect(issues).toMatch(/AUTH_JWT_SECRET/)
      expect(issues).toMatch(/BODY_LIMIT/)
    }
  })
})
