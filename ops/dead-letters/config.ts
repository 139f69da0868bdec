// The dead-letter tool's one config module: where the event log is. Kafka with the Task API's settings
// (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_CA_FILE, KAFKA_TLS: checked as the API checks them), or the
// embedded event log in the PostgreSQL of DATABASE_URL; with neither, the running local system's.
import { ConfigError, loadConfig } from '../../api/src/config.ts'

export type KafkaSettings = Pick<ReturnType<typeof loadConfig>, 'kafkaBrokers' | 'kafkaSasl' | 'kafkaTls'>

export type DeadLetterSettings = {
  /** Set when KAFKA_BROKERS is. */
  kafka: KafkaSettings | undefined
  databaseUrl: string | undefined
}

export class DeadLetterConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DeadLetterConfigError'
  }
}

export function readSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DeadLetterSettings {
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL
  if (!env.KAFKA_BROKERS) return { kafka: undefined, databaseUrl }
  return { kafka: kafkaSettings(env, env.KAFKA_BROKERS), databaseUrl }
}

/** Kafka at `brokers` (e.g. the running local system's) with the environment's SASL and TLS settings. */
export function kafkaSettings(
  env: Readonly<Record<string, string | undefined>>,
  brokers: string,
): KafkaSettings {
  const kafkaEnv = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('KAFKA_')))
  try {
    const config = loadConfig({ ...kafkaEnv, KAFKA_BROKERS: brokers })
    return { kafkaBrokers: config.kafkaBrokers, kafkaSasl: config.kafkaSasl, kafkaTls: config.kafkaTls }
  } catch (error) {
    if (error instanceof ConfigError) throw new DeadLetterConfigError(error.message)
    throw error
  }
}
