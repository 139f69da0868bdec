import type { LogEntry, RetryOptions, SASLOptions } from 'kafkajs'
import { Kafka, logLevel } from 'kafkajs'
import { type Logger, pino } from 'pino'
import { dropKafkajsNegativeTimeoutWarning } from './negative-timeout-warning.ts'

/** The SASL mechanisms kafkajs implements itself (Strimzi's SCRAM listeners take scram-sha-512). */
export const kafkaSaslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

export type KafkaSasl = {
  mechanism: (typeof kafkaSaslMechanisms)[number]
  username: string
  password: string
}

/**
 * TLS to every broker. `ca` (PEM certificates, e.g. Strimzi's cluster CA) replaces Node's default trust
 * store; without it the brokers' certificates must chain to a public CA. Host names are verified either way.
 */
export type KafkaTls = { ca?: readonly string[] }

export type KafkaClientOptions = {
  brokers: string[]
  clientId: string
  /** Authenticate every connection (SASL_PLAINTEXT, or SASL_SSL together with `ssl`). */
  sasl?: KafkaSasl
  /** Connect over TLS (SSL, or SASL_SSL together with `sasl`). */
  ssl?: KafkaTls
  logger?: Logger
  /** Overrides the client-wide retry (metadata, admin, consumer; see createProducer for sends). */
  retry?: RetryOptions
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
}

// kafkajs retries with exponential backoff and jitter. Its defaults (5 retries, 300 ms start) give
// up after ~10 s, shorter than a broker restart or a KRaft leader election (10-20 s), so allow more
// attempts while capping each wait so a recovered broker is noticed quickly.
export const defaultRetry: RetryOptions = { initialRetryTime: 250, retries: 10, maxRetryTime: 5_000 }

// Logged at debug, not at kafkajs' level:
// - kafkajs warns on every idempotent producer whose retries are bounded; ours are bounded on
//   purpose (see producer.ts), a known decision rather than news.
// - kafkajs' Connection logs every error response at ERROR, retriable ones too ("coordinator is
//   loading", "not the leader" during an election); the retrier retries them, and what still fails
//   reaches the caller as an error.
const isKnownNoise = (namespace: string, message: string) =>
  message.startsWith('Limiting retries for the idempotent producer') ||
  (namespace === 'Connection' && message.startsWith('Response '))

const pinoLevelFor = (level: logLevel): 'error' | 'warn' | 'info' | 'debug' => {
  if (level === logLevel.ERROR || level === logLevel.NOTHING) return 'error'
  if (level === logLevel.WARN) return 'warn'
  if (level === logLevel.INFO) return 'info'
  return 'debug'
}

const kafkajsLevelFor = (logger: Logger): logLevel => {
  const level = logger.level
  if (level === 'silent') return logLevel.NOTHING
  if (level === 'fatal' || level === 'error') return logLevel.ERROR
  if (level === 'warn') return logLevel.WARN
  if (level === 'info') return logLevel.INFO
  return logLevel.DEBUG
}

/** Routes kafkajs' own logger into pino, one child per kafkajs namespace. */
export function kafkajsLogCreatorFor(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry): void => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log
      const target = logger.child({ component: 'kafkajs', namespace })
      const pinoLevel = isKnownNoise(namespace, message) ? 'debug' : pinoLevelFor(level)
      target[pinoLevel](extra, message)
    }
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  if (options.brokers.length === 0) throw new TypeError('createKafkaClient needs at least one broker')
  dropKafkajsNegativeTimeoutWarning()
  // Without a logger of the caller's, warnings and errors still go somewhere: a pino of our own.
  const logger = options.logger ?? pino({ name: options.clientId, level: 'warn' })
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    ...(options.sasl === undefined ? {} : { sasl: kafkajsSasl(options.sasl) }),
    ...(options.ssl === undefined ? {} : { ssl: kafkajsTls(options.ssl) }),
    retry: { ...defaultRetry, ...options.retry },
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: kafkajsLevelFor(logger),
    logCreator: kafkajsLogCreatorFor(logger),
  })
}

// Rebuilt as a literal: kafkajs types SASL options as one object type per mechanism, which TypeScript
// matches for a literal with a union `mechanism` but not for our own object type.
const kafkajsSasl = ({ mechanism, username, password }: KafkaSasl): SASLOptions => ({
  mechanism,
  username,
  password,
})

// `true` (Node's default trust store) when no CA is given: an empty `ca` list would trust nothing.
const kafkajsTls = (tls: KafkaTls) =>
  tls.ca === undefined || tls.ca.length === 0 ? true : { ca: [...tls.ca] }
