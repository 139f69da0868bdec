// How a process reaches Kafka: KAFKA_BROKERS, the SASL login and TLS, read with one set of rules by
// every process that connects (the Task API, `npm run dead-letters`).
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { type KafkaSasl, type KafkaTls, kafkaSaslMechanisms } from '../../kafka/src/index.ts'
import { trimmedOrUnset, unsetWhenEmpty } from './env.ts'

/**
 * The PEM certificates of KAFKA_CA_FILE, read once at start: a missing or unreadable file is a config
 * error naming the path now, rather than a TLS failure on every attempt later.
 */
const caFile = z
  .string()
  .optional()
  .transform((path, ctx) => {
    if (path === undefined) return undefined
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${reason})` })
      return z.NEVER
    }
    const certificates = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    if (certificates.length === 0) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate (BEGIN CERTIFICATE)` })
      return z.NEVER
    }
    for (const [index, pem] of certificates.entries()) {
      try {
        new X509Certificate(pem)
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `certificate ${index + 1} of ${path} does not parse (${(error as Error).message})`,
        })
        return z.NEVER
      }
    }
    return { path, certificates }
  })

/** Spread into a process's env schema; check the combination with kafkaSecurityIssues. */
export const kafkaVariables = {
  KAFKA_BROKERS: z.preprocess(trimmedOrUnset, z.string().optional()),
  // The Strimzi cluster's listener: TLS + SCRAM-SHA-512 (manifests/base/task-api.yaml).
  KAFKA_SASL_MECHANISM: z.preprocess(trimmedOrUnset, z.enum(kafkaSaslMechanisms).optional()),
  KAFKA_SASL_USERNAME: z.preprocess(trimmedOrUnset, z.string().optional()),
  // Not trimmed: a password may begin or end with a space. Issues name the variable, never the value.
  KAFKA_SASL_PASSWORD: z.preprocess(unsetWhenEmpty, z.string().optional()),
  KAFKA_CA_FILE: z.preprocess(trimmedOrUnset, caFile),
  KAFKA_TLS: z.preprocess(trimmedOrUnset, z.enum(['true', 'false']).optional()),
}

type KafkaVariables = z.output<z.ZodObject<typeof kafkaVariables>>

/** What is wrong with the login and TLS variables together (by variable), empty when nothing is. */
export function kafkaSecurityIssues(
  env: Omit<KafkaVariables, 'KAFKA_BROKERS'>,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = []
  const credentials = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const
  for (const name of credentials) {
    if (env.KAFKA_SASL_MECHANISM !== undefined && env[name] === undefined)
      issues.push({ path: [name], message: `required with KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM}` })
    if (env.KAFKA_SASL_MECHANISM === undefined && env[name] !== undefined)
      issues.push({ path: [name], message: 'set without KAFKA_SASL_MECHANISM (scram-sha-512 for Strimzi)' })
  }
  if (env.KAFKA_TLS === 'false' && env.KAFKA_CA_FILE !== undefined)
    issues.push({
      path: ['KAFKA_TLS'],
      message: 'false, but KAFKA_CA_FILE is set (a CA is used over TLS only)',
    })
  const tls = env.KAFKA_TLS === 'true' || env.KAFKA_CA_FILE !== undefined
  if (env.KAFKA_SASL_MECHANISM === 'plain' && !tls)
    issues.push({
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'plain sends the password in clear text: needs TLS (KAFKA_CA_FILE or KAFKA_TLS=true)',
    })
  return issues
}

export type KafkaConnection = {
  kafkaBrokers: string[]
  /** SASL login to the brokers; undefined: none (a local PLAINTEXT broker). */
  kafkaSasl: KafkaSasl | undefined
  /** TLS to the brokers; undefined: plain TCP. */
  kafkaTls: KafkaTls | undefined
}

/** The connection of an env without kafkaSecurityIssues. */
export function kafkaConnectionOf(env: KafkaVariables): KafkaConnection {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = env
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
    // All three or none: kafkaSecurityIssues refused anything in between.
    kafkaSasl:
      mechanism === undefined || username === undefined || password === undefined
        ? undefined
        : { mechanism, username, password },
    kafkaTls:
      env.KAFKA_CA_FILE !== undefined
        ? { ca: env.KAFKA_CA_FILE.certificates }
        : env.KAFKA_TLS === 'true'
          ? {}
          : undefined,
  }
}
