import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../api/src/config.ts'
import { readLocalConfig } from '../../../local/src/config.ts'

// `npm start`'s settings (issue 19, finding 7): the Task API's auth settings and production mode reach
// the API and the functions, and the gateway answers only to the host names it is meant for.

describe('npm start settings', () => {
  it('passes AUTH_ISSUER, AUTH_AUDIENCE and NODE_ENV on to the Task API (and the functions)', () => {
    const config = readLocalConfig({
      AUTH_JWKS_URL: 'https://auth.example.com/jwks.json',
      AUTH_ISSUER: 'https://auth.example.com/',
      AUTH_AUDIENCE: 'taskflow',
      NODE_ENV: 'production',
    })
    expect(loadConfig(config.apiEnv).auth).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://auth.example.com/jwks.json',
      issuer: 'https://auth.example.com/',
      audience: 'taskflow',
    })
  })

  it('NODE_ENV=production without token settings is refused, not served with development tokens', () => {
    const config = readLocalConfig({ NODE_ENV: 'production' })
    expect(() => loadConfig(config.apiEnv)).toThrow(/AUTH_JWT_SECRET/)
  })

  it('serves loopback names and HOST; other names only when ALLOWED_HOSTS lists them', () => {
    expect(readLocalConfig({}).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]'])
    expect(readLocalConfig({ HOST: '0.0.0.0' }).allowedHosts).not.toContain('0.0.0.0')
    expect(readLocalConfig({ HOST: '192.168.1.5', ALLOWED_HOSTS: 'Laptop.lan, ' }).allowedHosts).toEqual([
      'localhost',
      '127.0.0.1',
      '[::1]',
      '192.168.1.5',
      'laptop.lan',
    ])
  })
})
