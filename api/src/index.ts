// What other processes (the local runtime, tests) use of the Task API.

export {
  type AuthSettings,
  type BearerVerifier,
  createBearerVerifier,
  type Principal,
} from '../../platform/src/auth/index.ts'
export { type AppDeps, createApp } from './app.ts'
export { type ApiConfig, ConfigError, loadConfig } from './config.ts'
export type { TasksDatabase } from './database.ts'
export { createLogger } from './logger.ts'
export { type ApiMetrics, createApiMetrics } from './metrics.ts'
export { createKafkaPublisher, type KafkaPublisher } from './outbox/kafka-publisher.ts'
export { readOutboxBacklog } from './outbox/outbox-backlog.ts'
export {
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStatus,
} from './outbox/outbox-relay.ts'
export type { OutboxRecord, Publisher } from './outbox/publisher.ts'
export { migrationsFolder, type RunningApi, type StartApiOverrides, startApi } from './start-api.ts'
