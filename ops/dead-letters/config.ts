// The dead-letter tool's one config module: where the event log is. Kafka with the settings the Task
// API reads too (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_CA_FILE, KAFKA_TLS: platform/src/kafka-settings.ts),
// or the embedded event log in the PostgreSQL of DATABASE_URL; with neither, the running local system's.
import { z } from 'zod'
import { ConfigError } from '../../platform/src/env.ts'
import {
  type KafkaConnection,
  kafkaConnectionOf,
  kafkaSecurityIssues,
  kafkaVariables,
} from '../../platform/src/kafka-settings.ts'

export type KafkaSettings = KafkaConnection

const kafkaEnv = z.object(kafkaVariables).superRefine(
  (env, ctx) => {
    for (const issue of kafkaSecurityIssues(env)) ctx.addIssue({ code: 'custom', ...issue })
  },
  // Also when a field failed: a missing CA file and a half-configured login are reported together.
  { when: () => true },
)

export type DeadLetterSettings = {
  /** Set when KAFKA_BROKERS is. */
  kafka: KafkaSettings | undefined
  databaseUrl: string | undefined
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
  const parsed = kafkaEnv.safeParse({ ...env, KAFKA_BROKERS: brokers })
  if (!parsed.success) throw ConfigError.of(parsed.error)
  return kafkaConnectionOf(parsed.data)
}
