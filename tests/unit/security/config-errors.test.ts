import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { apiEntry, functionEntries, localSystemEntry, runEntry } from '../../support/entry-points.ts'

// A process refusing a bad configuration prints what is wrong and with which variable, never the value
// of a secret: an operator's terminal and a pod's log are not places for a database password, an
// HS256 secret or SMTP credentials, even when the value itself is the problem.

const secret = (name: string) => `${name}-${randomBytes(8).toString('hex')}`

describe('configuration errors never echo secret values', () => {
  const password = secret('db-password')
  const shortJwtSecret = secret('short') // too short for HS256: refused, and must not be echoed
  const smtpPassword = secret('smtp-password')
  const jwksPassword = secret('jwks-password')
  const kafkaPassword = secret('kafka-password')
  const values = [password, shortJwtSecret, smtpPassword, jwksPassword, kafkaPassword]

  const refused = (entry: string, env: Record<string, string>, variables: string[]) => {
    const run = runEntry(entry, env)
    expect(run.status).not.toBe(0)
    const output = run.stdout + run.stderr
    for (const variable of variables) expect(output).toContain(variable)
    for (const value of values) expect(output).not.toContain(value)
  }

  it('the Task API names the bad variables without their values', () => {
    refused(
      apiEntry,
      {
        DATABASE_URL: `postgres://app:${password}@db:5432/taskflow`,
        AUTH_JWT_SECRET: shortJwtSecret,
        PORT: 'eighty',
      },
      ['AUTH_JWT_SECRET', 'PORT'],
    )
    refused(
      apiEntry,
      {
        AUTH_JWT_SECRET: `${shortJwtSecret}-now-long-enough-for-hs256`,
        AUTH_JWKS_URL: `https://taskflow:${jwksPassword}@auth.example.com/jwks.json`,
      },
      ['AUTH_JWKS_URL'],
    )
    // The cluster's Kafka login, half configured: a password without its mechanism, a CA file missing.
    refused(
      apiEntry,
      {
        KAFKA_BROKERS: 'taskflow-kafka-bootstrap.taskflow.svc:9093',
        KAFKA_SASL_USERNAME: 'task-api',
        KAFKA_SASL_PASSWORD: kafkaPassword,
        KAFKA_CA_FILE: '/nonexistent/kafka-ca/ca.crt',
      },
      ['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_MECHANISM', 'KAFKA_CA_FILE', '/nonexistent/kafka-ca/ca.crt'],
    )
  })

  it.each(functionEntries)('%s names the bad variables without their values', (entry) => {
    refused(
      entry,
      {
        // Not a URL (the space), with a password inside.
        DATABASE_URL: `postgres://app:${password}@db host/taskflow`,
        SMTP_URL: `smtp://mailer:${smtpPassword}@mail host:587`,
        AUTH_JWT_SECRET: shortJwtSecret,
      },
      ['DATABASE_URL', 'AUTH_JWT_SECRET'],
    )
  })

  it('the local system names the bad variables without their values', () => {
    refused(localSystemEntry, { DATABASE_URL: `postgres://app:${password}@db host/taskflow` }, [
      'DATABASE_URL',
    ])
  })
})
