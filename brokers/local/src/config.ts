import { join } from 'node:path'
import { z } from 'zod'
import { defaultJarCacheDir, localBrokerDir } from './jars.ts'

// The local broker CLI's configuration: the only place brokers/local reads the environment.
const environment = z.object({
  TASKFLOW_KAFKA_HOME: z.string().min(1).optional(),
  KAFKA_PORT: z.coerce.number().int().min(1).max(65_535).default(9092),
  KAFKA_NODES: z.union([z.literal('1'), z.literal('3')]).default('1'),
  KAFKA_HEAP_MB: z.coerce.number().int().min(128).max(8_192).optional(),
  KAFKA_DATA_DIR: z.string().min(1).optional(),
  KAFKA_TOPICS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export type LocalKafkaConfig = {
  /** Where Maven puts the jars (TASKFLOW_KAFKA_HOME, default ~/.cache/taskflow/kafka-<version>). */
  jarCacheDir: string
  port: number
  nodes: 1 | 3
  heapMb: number | undefined
  dataDir: string | undefined
  topicsDir: string
  logLevel: z.infer<typeof environment>['LOG_LEVEL']
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): LocalKafkaConfig {
  const parsed = environment.safeParse(env)
  if (!parsed.success) throw new ConfigError(`Invalid environment:\n${z.prettifyError(parsed.error)}`)
  const values = parsed.data
  return {
    jarCacheDir: values.TASKFLOW_KAFKA_HOME ?? defaultJarCacheDir,
    port: values.KAFKA_PORT,
    nodes: values.KAFKA_NODES === '3' ? 3 : 1,
    heapMb: values.KAFKA_HEAP_MB,
    dataDir: values.KAFKA_DATA_DIR,
    topicsDir: values.KAFKA_TOPICS_DIR ?? join(localBrokerDir, '..', 'topics'),
    logLevel: values.LOG_LEVEL,
  }
}
