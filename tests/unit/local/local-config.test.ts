import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../api/src/config.ts'
import { LocalConfigError, readLocalConfig } from '../../../local/src/config.ts'
import { loadSystemManifests } from '../../../sources/src/manifests.ts'
import { kubectlAvailable } from '../../support/services.ts'

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

// `npm start -- --overlay <name>`: the overlay's rendered settings, under the environment's.
describe.runIf(kubectlAvailable())('npm start --overlay', () => {
  it('dev: development tokens, debug logs, and the manifests as the overlay renders them', () => {
    const config = readLocalConfig({}, ['--overlay', 'dev'])
    expect(config.overlay).toBe('dev')
    expect(config.apiEnv).toEqual({ NODE_ENV: 'development' })
    expect(config.logLevel).toBe('debug')
    expect(loadConfig(config.apiEnv).auth.mode).toBe('development')
    expect(readLocalConfig({ LOG_LEVEL: 'warn' }, ['--overlay', 'dev']).logLevel).toBe('warn')
    const manifests = loadSystemManifests(config.rootDir, 'dev')
    expect(manifests.topics.map((t) => t.replicas)).toEqual(manifests.topics.map(() => 1))
    expect(manifests.kafkaSources.map((s) => s.name).sort()).toEqual([
      'audit-log',
      'notification-fanout',
      'reminders',
    ])
  })

  it("prod: refused while its identity provider is a placeholder; the environment's token settings replace it", () => {
    expect(() => readLocalConfig({}, ['--overlay', 'prod'])).toThrow(
      /--overlay prod: its AUTH_JWKS_URL https:\/\/auth\.example\.com\/\.well-known\/jwks\.json is a placeholder/,
    )
    const config = readLocalConfig({ AUTH_JWT_SECRET: 'a-secret-of-at-least-32-bytes-long!!' }, [
      '--overlay',
      'prod',
    ])
    expect(config.apiEnv).toEqual({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'a-secret-of-at-least-32-bytes-long!!',
    })
    expect(loadConfig(config.apiEnv).auth.mode).toBe('hs256')
    expect(config.skippedSettings).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector.observability.svc:4318',
    ])
  })
})

describe('npm start flags', () => {
  it('refuses an unknown flag and an unknown overlay, with the usage or the overlays there are', () => {
    expect(() => readLocalConfig({}, ['--overlya', 'dev'])).toThrow(LocalConfigError)
    expect(() => readLocalConfig({}, ['--overlya', 'dev'])).toThrow(
      /Unknown option '--overlya'[\s\S]*usage: npm start/,
    )
    expect(() => readLocalConfig({}, ['--overlay', 'staging'])).toThrow(
      /--overlay staging: no such overlay; manifests\/overlays has dev, example, prod/,
    )
    expect(() => readLocalConfig({}, ['extra'])).toThrow(LocalConfigError)
  })
})
