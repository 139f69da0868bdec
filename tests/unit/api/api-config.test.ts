import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../api/src/config.ts'
import { createLogger } from '../../../api/src/logger.ts'
import { createTestCertificates, opensslAvailable } from '../../support/test-certificates.ts'

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

  it('listens on loopback with development tokens, on every interface with verified ones, else on HOST', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1')
    expect(loadConfig({ AUTH_JWKS_URL: 'https://id.example/jwks.json' }).host).toBe('0.0.0.0')
    expect(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32) }).host).toBe('0.0.0.0')
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0')
    expect(loadConfig({ HOST: ' ' }).host).toBe('127.0.0.1')
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

  it('reads the relay linger: 5 ms by default, 0 turns it off, a negative or fractional one is refused', () => {
    expect(loadConfig({}).outbox.lingerMs).toBe(5)
    expect(loadConfig({ OUTBOX_RELAY_LINGER_MS: '0' }).outbox.lingerMs).toBe(0)
    expect(() => loadConfig({ OUTBOX_RELAY_LINGER_MS: '-1' })).toThrow(/OUTBOX_RELAY_LINGER_MS/)
    expect(() => loadConfig({ OUTBOX_RELAY_LINGER_MS: '2.5' })).toThrow(/OUTBOX_RELAY_LINGER_MS/)
  })

  it('switches tracing on by an exporter or an OTLP endpoint, off by OTEL_SDK_DISABLED or none', () => {
    const tracing = (env: Record<string, string>) => loadConfig(env).telemetry.tracing
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
    expect(tracing({})).toBe(false)
    expect(tracing(endpoint)).toBe(true)
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' })).toBe(true)
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true)
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toBe(true)
    expect(tracing({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false)
    expect(tracing({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBe(false)
    expect(tracing({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true)
    // An empty variable (a ConfigMap key left blank) is unset.
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false)
  })

  it('names the service taskflow-api unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES does', () => {
    const serviceName = (env: Record<string, string>) => loadConfig(env).telemetry.defaultServiceName
    expect(serviceName({})).toBe('taskflow-api')
    expect(serviceName({ OTEL_SERVICE_NAME: 'task-api' })).toBeUndefined()
    expect(
      serviceName({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, service.name=x' }),
    ).toBeUndefined()
    expect(serviceName({ OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=taskflow' })).toBe('taskflow-api')
  })

  it('refuses OTEL_* values the SDK would ignore or misread, naming each', () => {
    for (const [name, value] of [
      ['OTEL_TRACES_EXPORTER', 'jaeger'],
      ['OTEL_TRACES_EXPORTER', 'otlp;console'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http'],
      ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc/json'],
      ['OTEL_SDK_DISABLED', 'yes'],
      ['OTEL_LOG_LEVEL', 'loud'],
    ] as const)
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`${name}:`))
    expect(loadConfig({ OTEL_LOG_LEVEL: 'DEBUG' }).telemetry.sdkLogLevel).toBe('debug')
    expect(loadConfig({}).telemetry.sdkLogLevel).toBe('info')
  })

  it('uses prepared statements unless DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them)', () => {
    expect(loadConfig({}).preparedStatements).toBe(true)
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).preparedStatements).toBe(false)
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/DATABASE_PREPARED_STATEMENTS/)
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

// What manifests/base/task-api.yaml gives the Task API for the Strimzi cluster's only listener
// (TLS + SCRAM-SHA-512), with a CA made for the test.
describe.runIf(await opensslAvailable())('api config: Kafka SASL and TLS', () => {
  const password = `pw ${randomBytes(12).toString('hex')} ` // spaces kept: not trimmed
  let dir: string
  let caFile: string
  let caPem: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-config-'))
    caFile = (await createTestCertificates(dir)).caFile
    caPem = (await readFile(caFile, 'utf8')).trim()
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const cluster = () => ({
    KAFKA_BROKERS: 'taskflow-kafka-bootstrap.taskflow.svc:9093',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'task-api',
    KAFKA_SASL_PASSWORD: password,
    KAFKA_CA_FILE: caFile,
  })

  /** The issues of a refused config; the password must not be among them or in the message. */
  const issuesOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const { message, issues } = error as ConfigError
      expect(message).not.toContain(password.trim())
      return issues.join('\n')
    }
    return expect.unreachable('the config was accepted')
  }

  it('reads the cluster settings: SCRAM-SHA-512 credentials and TLS trusting the CA file', () => {
    const config = loadConfig(cluster())
    expect(config.kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'task-api', password })
    expect(config.kafkaTls).toEqual({ ca: [caPem] })
  })

  it('a local broker needs none of it: no SASL, no TLS', () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' })
    expect(config.kafkaSasl).toBeUndefined()
    expect(config.kafkaTls).toBeUndefined()
  })

  it('KAFKA_TLS=true without a CA file trusts the public CAs (Node default store)', () => {
    expect(loadConfig({ KAFKA_TLS: 'true' }).kafkaTls).toEqual({})
    expect(loadConfig({ ...cluster(), KAFKA_TLS: 'true' }).kafkaTls).toEqual({ ca: [caPem] })
  })

  it('a CA bundle of several certificates keeps each one', async () => {
    const bundle = join(dir, 'bundle.crt')
    await writeFile(bundle, `${caPem}\n${caPem}\n`)
    expect(loadConfig({ ...cluster(), KAFKA_CA_FILE: bundle }).kafkaTls).toEqual({ ca: [caPem, caPem] })
  })

  const refusals: [string, (env: Record<string, string>) => Record<string, string>, RegExp][] = [
    [
      'a mechanism without a user name',
      ({ KAFKA_SASL_USERNAME: _, ...env }) => env,
      /^KAFKA_SASL_USERNAME: required/m,
    ],
    [
      'a mechanism without a password',
      ({ KAFKA_SASL_PASSWORD: _, ...env }) => env,
      /^KAFKA_SASL_PASSWORD: required/m,
    ],
    ['an empty password', (env) => ({ ...env, KAFKA_SASL_PASSWORD: '' }), /^KAFKA_SASL_PASSWORD: required/m],
    [
      'credentials without a mechanism',
      ({ KAFKA_SASL_MECHANISM: _, ...env }) => env,
      /^KAFKA_SASL_PASSWORD: set without KAFKA_SASL_MECHANISM/m,
    ],
    [
      'an unknown mechanism',
      (env) => ({ ...env, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-1' }),
      /^KAFKA_SASL_MECHANISM: /m,
    ],
    [
      'a CA file that does not exist',
      (env) => ({ ...env, KAFKA_CA_FILE: join(dir, 'nope.crt') }),
      /^KAFKA_CA_FILE: cannot read .*nope\.crt \(ENOENT\)/m,
    ],
    [
      'a CA path that is a folder',
      (env) => ({ ...env, KAFKA_CA_FILE: dir }),
      /^KAFKA_CA_FILE: cannot read .* \(EISDIR\)/m,
    ],
    [
      'TLS switched off with a CA file',
      (env) => ({ ...env, KAFKA_TLS: 'false' }),
      /^KAFKA_TLS: false, but KAFKA_CA_FILE/m,
    ],
    ['a KAFKA_TLS that is not a boolean', (env) => ({ ...env, KAFKA_TLS: 'yes' }), /^KAFKA_TLS: /m],
    [
      'PLAIN without TLS (the password would cross the network in clear)',
      ({ KAFKA_CA_FILE: _, ...env }) => ({ ...env, KAFKA_SASL_MECHANISM: 'plain' }),
      /^KAFKA_SASL_MECHANISM: plain sends the password in clear text/m,
    ],
  ]
  it.each(refusals)('refuses %s, naming the variable, never the password', (_label, change, issue) => {
    expect(issuesOf(change(cluster()))).toMatch(issue)
  })

  it('refuses a CA file that holds no certificate, or one that does not parse', async () => {
    const notPem = join(dir, 'not-pem.crt')
    await writeFile(notPem, 'password-like text that is no certificate\n')
    expect(issuesOf({ ...cluster(), KAFKA_CA_FILE: notPem })).toMatch(
      /^KAFKA_CA_FILE: .* holds no PEM certificate/m,
    )
    const broken = join(dir, 'broken.crt')
    const body = caPem.split('\n')
    await writeFile(broken, [body[0], 'AAAA', ...body.slice(3)].join('\n'))
    expect(issuesOf({ ...cluster(), KAFKA_CA_FILE: broken })).toMatch(
      /^KAFKA_CA_FILE: certificate 1 of .* does not parse/m,
    )
  })

  it('the loaded config, logged whole by mistake, shows no password', async () => {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'))
        done()
      },
    })
    const logger = createLogger({ level: 'info', destination })
    const config = loadConfig(cluster())
    logger.info({ config }, 'nested')
    logger.info(config, 'top level')
    logger.flush()
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines).toHaveLength(2)
    expect(lines.join('')).not.toContain(password.trim())
    expect(lines.join('')).toContain('"username":"task-api"')
  })
})
