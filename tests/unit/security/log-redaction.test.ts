import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../api/src/logger.ts'
import { createFunctionLogger } from '../../../function-kit/src/index.ts'

// The one redaction list (platform/src/auth/log-redaction.ts) in the loggers the Task API and the functions
// create: a credential logged by mistake, at the top level or nested, comes out as [redacted].

function captured(): { destination: Writable; lines: string[] } {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  return { destination, lines }
}

const loggers = {
  'the Task API logger': (destination: Writable) => createLogger({ level: 'trace', destination }),
  'a function logger': (destination: Writable) => createFunctionLogger('test-function', 'trace', destination),
}

describe.each(Object.entries(loggers))('%s', (_name, create) => {
  it('redacts credentials wherever they sit in a logged object', async () => {
    const { destination, lines } = captured()
    const logger = create(destination)
    const secrets = {
      token: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.leaked-signature',
      password: 'leaked-database-password',
      url: 'postgres://app:leaked-url-password@db:5432/taskflow',
      jwtSecret: 'leaked-hs256-secret-of-some-length',
      webhookSecret: 'leaked-webhook-secret',
    }
    logger.info({ authorization: secrets.token }, 'top level')
    logger.info(
      { req: { headers: { authorization: secrets.token, cookie: 'session=leaked-cookie' } } },
      'headers',
    )
    logger.info({ config: { DATABASE_URL: secrets.url, AUTH_JWT_SECRET: secrets.jwtSecret } }, 'config')
    logger.info({
      preferences: { webhook: { url: 'https://hooks.example.com', secret: secrets.webhookSecret } },
    })
    logger.error({ err: Object.assign(new Error('boom'), { password: secrets.password }) }, 'error fields')
    logger.flush()
    await new Promise((resolve) => setImmediate(resolve))

    expect(lines).toHaveLength(5)
    const text = lines.join('\n')
    for (const value of [...Object.values(secrets), 'leaked-cookie']) expect(text).not.toContain(value)
    expect(lines.every((line) => line.includes('"[redacted]"'))).toBe(true)
    // What is not a credential stays readable.
    expect(text).toContain('https://hooks.example.com')
    expect(text).toContain('"msg":"error fields"')
  })
})
