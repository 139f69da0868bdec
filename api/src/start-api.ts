// Wires a running API from its config: database (PostgreSQL or embedded PGlite) and migrations, the
// outbox relay with its publisher, the HTTP server; close() shuts them down in dependency order.
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { migrate, openDatabase } from '../../db/src/index.ts'
import { createBearerVerifier } from '../../platform/src/auth/index.ts'
import { startTelemetry } from '../../platform/src/telemetry/index.ts'
import { createApp } from './app.ts'
import type { ApiConfig } from './config.ts'
import type { TasksDatabase } from './database.ts'
import { answerUnparsableRequests } from './http/unparsable-requests.ts'
import { createLogger } from './logger.ts'
import { type ApiMetrics, createApiMetrics } from './metrics.ts'
import { createKafkaPublisher } from './outbox/kafka-publisher.ts'
import { readOutboxBacklog } from './outbox/outbox-backlog.ts'
import { createOutboxRelay, type OutboxRelay } from './outbox/outbox-relay.ts'
import { wakeOnOutboxCommits } from './outbox/outbox-writer.ts'
import type { Publisher } from './outbox/publisher.ts'
import { createRelayThread } from './outbox/relay-thread.ts'

export const migrationsFolder = new URL('../migrations/', import.meta.url)

export type StartApiOverrides = {
  logger?: Logger
  /** Replaces Kafka, e.g. the local runtime's embedded log. */
  publisher?: Publisher
}

export type RunningApi = {
  url: string
  port: number
  server: Server
  relay: OutboxRelay | undefined
  /** This process's Prometheus registry (what `/metrics` serves), for embedders and benchmarks. */
  metrics: Registry
  close(): Promise<void>
}

export async function startApi(config: ApiConfig, overrides: StartApiOverrides = {}): Promise<RunningApi> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel })
  if (config.auth.mode === 'development') {
    logger.warn(
      'AUTHENTICATION IS IN DEVELOPMENT MODE: any "Bearer dev.<userId>" is accepted unverified. ' +
        'Set AUTH_JWT_SECRET or AUTH_JWKS_URL for anything but local development.',
    )
  }

  // First, so the spans of everything below have a tracer provider behind them; shut down last.
  const telemetry = await startTelemetry(config.telemetry, logger)
  const database = await openDatabase<TasksDatabase>({
    ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
    ...(config.databaseUrl === undefined && config.pgliteDataDir !== undefined
      ? { pglite: { dataDir: config.pgliteDataDir } }
      : {}),
    applicationName: 'taskflow-api',
    preparedStatements: config.preparedStatements,
    logger,
  })
  const cleanups: Array<() => Promise<void>> = [() => database.close(), () => telemetry.shutdown()]
  try {
    await migrate(database.db, { schema: 'tasks', folder: migrationsFolder, logger })

    const metrics = createApiMetrics({ outboxBacklog: () => readOutboxBacklog(database.db) })
    const relay = startRelay(config, database.db, overrides.publisher, metrics, logger, cleanups)
    if (relay === undefined) {
      logger.warn(
        'no outbox relay in this replica (no KAFKA_BROKERS or OUTBOX_RELAY_ENABLED=false): events wait in the outbox',
      )
    }

    const app = createApp({
      db: database.db,
      prepare: database.prepared,
      pingDatabase: () => database.ping(),
      verifier: createBearerVerifier(config.auth),
      logger,
      metrics,
      ...(relay === undefined ? {} : { relay }),
      taskEventsTopic: config.taskEventsTopic,
      eventSource: config.eventSource,
      functionReads: config.functionReads,
      bodyLimit: config.bodyLimit,
    })
    const server = app.listen(config.port, config.host)
    answerUnparsableRequests(server)
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    logger.info(
      { url, database: database.url, embedded: database.embedded, relay: relay !== undefined },
      'task API listening',
    )

    let closing: Promise<void> | undefined
    const close = () => {
      closing ??= (async () => {
        // Drain HTTP first (in-flight requests still need the database and wake the relay), then the
        // relay (it finishes its send and gives its lanes back), then the producer and the pool.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await drained
        for (const cleanup of cleanups)
          await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'shutdown step failed'))
        logger.info('task API stopped')
      })()
      return closing
    }
    return { url, port, server, relay, metrics: metrics.registry, close }
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {})
    throw error
  }
}

/**
 * The outbox relay of this replica, if it runs one: on a worker thread of its own when it publishes to
 * Kafka from PostgreSQL (relay-thread.ts), else inline (embedded PGlite serves every connection from
 * this thread anyway; a publisher given by the caller lives here). Its stop goes first in `cleanups`.
 */
function startRelay(
  config: ApiConfig,
  db: Kysely<TasksDatabase>,
  publisherOverride: Publisher | undefined,
  metrics: ApiMetrics,
  logger: Logger,
  cleanups: Array<() => Promise<void>>,
): OutboxRelay | undefined {
  if (!config.outbox.enabled || (publisherOverride === undefined && config.kafkaBrokers.length === 0)) {
    return undefined
  }
  const relaySettings = {
    batchSize: config.outbox.batchSize,
    pollIntervalMs: config.outbox.pollIntervalMs,
    lingerMs: config.outbox.lingerMs,
    maxLanes: config.outbox.lanesPerRelay,
  }
  const kafka = {
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    ...(config.kafkaSasl === undefined ? {} : { sasl: config.kafkaSasl }),
    ...(config.kafkaTls === undefined ? {} : { ssl: config.kafkaTls }),
  }
  const onThread =
    publisherOverride === undefined && config.databaseUrl !== undefined && config.outbox.thread === 'worker'
  if (publisherOverride === undefined) {
    // How the relay connects, without the password: the first thing to check when it cannot.
    logger.info(
      {
        brokers: config.kafkaBrokers,
        tls: config.kafkaTls !== undefined,
        sasl: config.kafkaSasl && {
          mechanism: config.kafkaSasl.mechanism,
          username: config.kafkaSasl.username,
        },
        thread: onThread ? 'worker' : 'inline',
      },
      'outbox relay publishes to Kafka',
    )
  }
  if (onThread && config.databaseUrl !== undefined) {
    const relay = createRelayThread({
      databaseUrl: config.databaseUrl,
      kafka,
      relay: relaySettings,
      telemetry: config.telemetry,
      logLevel: logger.level,
      logger,
      observer: metrics.relayObserver,
    })
    cleanups.unshift(() => relay.stop())
    relay.start()
    return relay
  }

  let publisher = publisherOverride
  if (publisher === undefined) {
    const kafkaPublisher = createKafkaPublisher({ ...kafka, logger })
    cleanups.unshift(() => kafkaPublisher.close())
    publisher = kafkaPublisher
  }
  const relay = createOutboxRelay({
    db,
    publisher,
    logger,
    ...relaySettings,
    observer: metrics.relayObserver,
  })
  cleanups.unshift(() => relay.stop())
  relay.start()
  if (config.databaseUrl !== undefined) {
    const listener = wakeOnOutboxCommits(config.databaseUrl, relay, logger)
    cleanups.unshift(() => listener.close())
  }
  return relay
}
