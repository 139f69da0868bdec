// The whole system on one machine, driven by the same YAML a cluster applies (sources/, brokers/,
// manifests/, functions/*/func.yaml): the Task API, each KafkaSink as an HTTP endpoint, each function as
// scale-to-zero processes behind an activator, each KafkaSource as a dispatcher, each PingSource on its
// schedule, and one gateway URL in front. Event log: Kafka when brokers are given, else embedded.

import { existsSync } from 'node:fs'
import type { Server as HttpServer } from 'node:http'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig as loadApiConfig, type RunningApi, startApi } from '../../api/src/index.ts'
import { loadTopicManifests, reconcileTopics } from '../../brokers/local/src/topics.ts'
import { startStep, step } from '../../cli/src/progress.ts'
import { type EmbeddedPostgres, openDatabase, serveEmbeddedPostgres } from '../../db/src/index.ts'
import { createSenderVerifier } from '../../function-kit/src/event-sender.ts'
import { createKafkaClient, withAdmin } from '../../kafka/src/index.ts'
import { type Backend, openEmbedded, openKafka } from '../../ops/dead-letters/backends.ts'
import { kafkaSettings } from '../../ops/dead-letters/config.ts'
import { deadLetterTopics } from '../../ops/dead-letters/dead-letters.ts'
import {
  type Destination,
  type KafkaSourceManifest,
  loadSystemManifests,
  type SystemManifests,
} from '../../sources/src/manifests.ts'
import {
  destinationAudience,
  kafkaSinkApiVersion,
  type ResourceRef,
  resourceAudience,
  senderSubject,
  serviceSenders,
  sinkAllowedSubjects,
  sourceApiVersion,
} from '../../sources/src/sender-identity.ts'
import { type LocalIssuer, startLocalIssuer } from './auth/local-issuer.ts'
import type { LocalSystemConfig } from './config.ts'
import { consoleRoutes } from './console/console-routes.ts'
import { deadLetterRoutes } from './console/dead-letter-routes.ts'
import { describePipeline } from './console/pipeline.ts'
import { createDispatchMetrics } from './eventing/dispatch-metrics.ts'
import { type KafkaSink, startKafkaSink } from './eventing/kafka-sink.ts'
import { type KafkaSourceDispatcher, startKafkaSource } from './eventing/kafka-source.ts'
import { type PingSource, startPingSource } from './eventing/ping-source.ts'
import { startSinkBindingToken } from './eventing/sink-binding-token.ts'
import { SinkClient } from './eventing/sink-client.ts'
import { createEmbeddedEventLog, createKafkaEventLog } from './eventlog/index.ts'
import type { EventLog, LogProducer } from './eventlog/types.ts'
import { createFunctionLogs, functionLogRoutes } from './function-logs.ts'
import { type Gateway, startGateway } from './gateway.ts'
import { createRecentDeliveries, type RecentDeliveries, recordingDeliveries } from './recent-deliveries.ts'
import { type FunctionHost, startFunctionHost } from './serving/function-host.ts'
import type { FunctionScale } from './serving/function-spec.ts'
import { trackFunctionHosts } from './serving/host-metrics.ts'
import { type OutputLine, writeOutputLine } from './serving/output-prefix.ts'
import { collectStatus, type SystemStatus } from './status.ts'

export interface LocalSystem {
  readonly url: URL
  readonly api: RunningApi
  readonly eventLog: EventLog
  readonly databaseUrl: string
  readonly functions: ReadonlyMap<string, FunctionHost>
  readonly sources: readonly KafkaSourceDispatcher[]
  readonly sinks: ReadonlyMap<string, KafkaSink>
  readonly pings: ReadonlyMap<string, PingSource>
  readonly manifests: SystemManifests
  /** The local ServiceAccount token issuer every source and sink of this system trusts. */
  readonly issuer: LocalIssuer
  /** The KafkaSources' last deliveries (the console's recent events). */
  readonly recentDeliveries: RecentDeliveries
  /**
   * A token that lets a developer send `name` an event, as `kubectl create token <a source's
   * ServiceAccount> --audience <its audience>` does on a cluster; undefined for a function no source sends to.
   */
  invokeToken(name: string): Promise<string | undefined>
  status(): Promise<SystemStatus>
  stop(): Promise<void>
}

export interface LocalSystemOverrides {
  /** Per-PingSource tick interval (ms) instead of its cron schedule, e.g. `{ 'reminders-tick': 500 }`. */
  readonly pingIntervals?: Readonly<Record<string, number>>
  /** Start only these functions (default: every function folder with a Service manifest). */
  readonly functions?: readonly string[]
  /** Extra environment for every function process. */
  readonly functionEnv?: Readonly<Record<string, string>>
  /** Per-function overrides of func.yaml's `deploy.options.scale` (tests use a low target to see scaling). */
  readonly functionScale?: Readonly<Record<string, Partial<FunctionScale>>>
  /** The functions' DATABASE_URL when they reach the database by another path than the API (a proxy a fault test cuts). */
  readonly functionDatabaseUrl?: string
  /** Where the function processes' output lines go (default: this process's stdout/stderr, prefixed). */
  readonly functionOutput?: OutputLine
  /** Knative's scale-to-zero grace period and stable window, for tests that watch scaling. */
  readonly gracePeriodMs?: number
  readonly stableWindowMs?: number
  /** A server already listening on HOST:PORT (npm start holds its port from the first step). */
  readonly listening?: HttpServer
}

export async function startLocalSystem(
  config: LocalSystemConfig,
  logger: Logger,
  overrides: LocalSystemOverrides = {},
): Promise<LocalSystem> {
  const stack: (() => Promise<void>)[] = []
  const stopAll = async () => {
    for (const step of stack.splice(0).reverse()) {
      await step().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'))
    }
  }
  try {
    const manifests = config.overlayManifests ?? loadSystemManifests(config.rootDir)
    if (config.overlay !== undefined) {
      logger.info(
        { overlay: config.overlay, skipped: config.skippedSettings },
        'manifests and settings of the overlay',
      )
    }
    // Sender identity (Knative's authentication-oidc): every source sends its own token, every sink checks.
    const issuer = await startLocalIssuer()
    stack.push(() => issuer.close())
    const oidc = { mode: 'oidc', issuer: issuer.issuer, jwksUrl: issuer.jwksUrl } as const

    // One database server for every process: PostgreSQL by URL, else PGlite over the wire protocol.
    let databaseUrl = config.databaseUrl
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await step(
        logger,
        `embedded PostgreSQL (PGlite)${existsSync(config.pgliteDataDir) ? '' : ': first start, creating it'}`,
        () => serveEmbeddedPostgres({ dataDir: config.pgliteDataDir }),
      )
      stack.push(() => embedded.close())
      databaseUrl = embedded.url
      logger.info({ dataDir: config.pgliteDataDir }, 'embedded PostgreSQL (PGlite) serving the system')
    }

    const eventLog = await step(logger, 'event log and its topics', () =>
      openEventLog(config, databaseUrl, manifests, logger, stack),
    )
    const producer: LogProducer = await eventLog.producer()
    stack.push(() => producer.close())

    // KafkaSinks: HTTP endpoints writing CloudEvents to their topic.
    const sinks = new Map<string, KafkaSink>()
    for (const sink of manifests.kafkaSinks) {
      const started = await startKafkaSink({
        name: sink.name,
        topic: sink.topic,
        producer,
        contentMode: sink.contentMode,
        logger,
        senders: createSenderVerifier({
          ...oidc,
          audience: resourceAudience(sinkRef(sink)),
          allowedSubjects: sinkAllowedSubjects(manifests, sinkRef(sink)),
        }),
      })
      stack.push(() => started.stop())
      sinks.set(sink.name, started)
    }

    // Functions: no process until the first request (Knative Serving with scale to zero).
    const functions = new Map<string, FunctionHost>()
    const functionLogs = createFunctionLogs()
    const hosting = startStep(logger, 'functions: build and host')
    stack.push(async () => hosting.abandon())
    const wanted = new Set(overrides.functions ?? manifests.services.map((service) => service.name))
    for (const service of manifests.services) {
      const dir = join(config.rootDir, 'functions', service.name)
      if (!wanted.has(service.name) || !existsSync(join(dir, 'func.yaml'))) continue
      const binding = manifests.sinkBindings.find(
        (b) => b.subject.kind === 'Service' && b.subject.name === service.name,
      )
      const env: Record<string, string> = {}
      for (const [name, value] of Object.entries(service.env)) {
        if (!isClusterOnlySetting(name)) env[name] = value
      }
      checkSenderSettings(service, serviceSenders(manifests, service))
      Object.assign(env, config.apiEnv, overrides.functionEnv, {
        DATABASE_URL: overrides.functionDatabaseUrl ?? databaseUrl,
        LOG_LEVEL: config.logLevel,
        EVENTS_OIDC_ISSUER: issuer.issuer,
        EVENTS_OIDC_JWKS_URL: issuer.jwksUrl,
      })
      if (binding) {
        env.K_SINK = resolveDestination(binding.sink, sinks, functions)
        const audience = destinationAudience(binding.sink)
        if (audience !== undefined) {
          const token = await startSinkBindingToken({
            binding: binding.name,
            subject: senderSubject({ apiVersion: sourceApiVersion, kind: 'SinkBinding', ...binding }),
            audience,
            tokens: issuer,
          })
          stack.push(() => token.stop())
          env.EVENTS_SINK_TOKEN_FILE = token.file
        }
      }
      const host = await startFunctionHost({
        name: service.name,
        dir,
        env,
        scale: overrides.functionScale?.[service.name],
        gracePeriodMs: overrides.gracePeriodMs ?? config.gracePeriodMs,
        stableWindowMs: overrides.stableWindowMs ?? config.stableWindowMs,
        logger,
        onOutput: functionLogs.recorder(service.name, overrides.functionOutput ?? writeOutputLine),
      })
      stack.push(() => host.stop())
      functions.set(service.name, host)
    }
    hosting.done([...functions.keys()].join(', '))

    // KafkaSources: one consumer group each, delivering to their sink with Knative's semantics.
    // Functions are in this process: their activators are called, not reached over loopback HTTP.
    const sinkClient = new SinkClient({
      connections: 64,
      inProcess: new Map([...functions.values()].map((host) => [new URL(host.url).origin, host])),
    })
    stack.push(() => sinkClient.close())
    const sources: KafkaSourceDispatcher[] = []
    // What Knative's dispatcher exports on a cluster, served at /_local/metrics.
    const localMetrics = new Registry()
    const recentDeliveries = createRecentDeliveries()
    trackFunctionHosts(localMetrics, functions)
    const dispatchMetrics = recordingDeliveries(createDispatchMetrics(localMetrics), recentDeliveries)
    await step(
      logger,
      `KafkaSources: ${manifests.kafkaSources.length} joining their consumer groups`,
      async () => {
        for (const source of manifests.kafkaSources) {
          const dispatcher = await startKafkaSource({
            metrics: dispatchMetrics,
            spec: sourceSpec(source, sinks, functions),
            log: eventLog,
            logger,
            sinkClient,
            identity: {
              subject: senderSubject({ apiVersion: sourceApiVersion, kind: 'KafkaSource', ...source }),
              tokens: issuer,
            },
            commitIntervalMs: config.commitIntervalMs,
          })
          stack.push(() => dispatcher.stop())
          sources.push(dispatcher)
        }
      },
    )

    const apiConfig = loadApiConfig({
      ...config.apiEnv,
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: config.logLevel,
      AUDIT_LOG_URL: functions.get('audit-log')?.url,
      NOTIFICATIONS_URL: functions.get('notification-fanout')?.url,
    })
    const api = await step(logger, 'Task API: migrations and start', () =>
      startApi(apiConfig, {
        logger,
        publisher: { publish: async (topic, records) => void (await producer.send(topic, records)) },
      }),
    )
    stack.push(() => api.close())

    const pings = new Map<string, PingSource>()
    for (const ping of manifests.pingSources) {
      const started = startPingSource({
        name: ping.name,
        namespace: ping.namespace,
        schedule: ping.schedule,
        timezone: ping.timezone,
        data: ping.data,
        contentType: ping.contentType,
        sinkUrl: resolveDestination(ping.sink, sinks, functions),
        sinkAudience: destinationAudience(ping.sink),
        identity: {
          subject: senderSubject({ apiVersion: sourceApiVersion, kind: 'PingSource', ...ping }),
          tokens: issuer,
        },
        intervalOverrideMs: overrides.pingIntervals?.[ping.name] ?? config.pingIntervalMs,
        logger,
      })
      stack.push(() => started.stop())
      pings.set(ping.name, started)
    }

    // The console's dead-letter browser reads with the ops tool's reader, opened on first use.
    let deadLetters: Promise<Backend> | undefined
    const deadLetterReader = (): Promise<Backend> => {
      deadLetters ??= openDeadLetterReader(config, databaseUrl).catch((error: unknown) => {
        deadLetters = undefined
        throw error
      })
      return deadLetters
    }
    stack.push(async () => {
      const reader = await deadLetters?.catch(() => undefined)
      await reader?.close()
    })

    // Assigned below: the status route reports on the system the gateway belongs to.
    let system: LocalSystem
    const gateway: Gateway = await startGateway({
      host: config.host,
      port: config.port,
      ...(overrides.listening === undefined ? {} : { listening: overrides.listening }),
      allowedHosts: config.allowedHosts,
      logger,
      routes: [
        {
          name: 'local-metrics',
          matches: (path) => path === '/_local/metrics',
          respond: async (_req, res) => {
            res.writeHead(200, { 'content-type': localMetrics.contentType })
            res.end(await localMetrics.metrics())
          },
        },
        {
          name: 'local-status',
          matches: (path) => path === '/_local/status',
          respond: async (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' })
            res.end(JSON.stringify(await system.status()))
          },
        },
        ...consoleRoutes(() => describePipeline(manifests, new Set(functions.keys()))),
        ...functionLogRoutes(functionLogs),
        ...deadLetterRoutes({
          topics: deadLetterTopics(manifests),
          reader: deadLetterReader,
          functionAt: (target) => [...functions.values()].find((host) => target.startsWith(host.url))?.name,
          tokenFor: (name) => system.invokeToken(name),
        }),
        { name: 'task-api', matches: () => true, target: () => new URL(api.url) },
      ],
    })
    stack.push(() => gateway.close())

    system = {
      url: gateway.url,
      api,
      eventLog,
      databaseUrl,
      functions,
      sources,
      sinks,
      pings,
      manifests,
      issuer,
      recentDeliveries,
      async invokeToken(name) {
        const service = manifests.services.find((candidate) => candidate.name === name)
        if (!service) return undefined
        const { audience, subjects } = serviceSenders(manifests, service)
        const subject = subjects[0]
        return audience === undefined || subject === undefined ? undefined : issuer.token(subject, audience)
      },
      status: () => collectStatus(system),
      stop: stopAll,
    }
    return system
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** The ops tool's reader of this system's event log (`npm run dead-letters` reads the same). */
function openDeadLetterReader(config: LocalSystemConfig, databaseUrl: string): Promise<Backend> {
  // The console replays with the system's own tokens (tokenFor above), not the tool's.
  const noToken = () => undefined
  return config.kafkaBrokers.length > 0
    ? openKafka(kafkaSettings({}, config.kafkaBrokers.join(',')), noToken)
    : openEmbedded(databaseUrl, noToken)
}

async function openEventLog(
  config: LocalSystemConfig,
  databaseUrl: string,
  manifests: SystemManifests,
  logger: Logger,
  stack: (() => Promise<void>)[],
): Promise<EventLog> {
  if (config.kafkaBrokers.length > 0) {
    // Topics come from the same KafkaTopic YAML Strimzi applies, replicas capped to this cluster.
    const kafka = createKafkaClient({
      brokers: [...config.kafkaBrokers],
      clientId: 'taskflow-local-topics',
      logger,
    })
    // An overlay's topics as rendered (e.g. dev's single replica), else brokers/topics as written.
    const specs =
      config.overlay === undefined
        ? await loadTopicManifests(join(config.rootDir, 'brokers/topics'))
        : manifests.topics.map((topic) => ({
            name: topic.name,
            partitions: topic.partitions,
            replicas: topic.replicas,
            config: Object.fromEntries(
              Object.entries(topic.config).map(([key, value]) => [key, String(value)]),
            ),
            source: `manifests/overlays/${config.overlay}`,
          }))
    const report = await withAdmin(kafka, async (admin) => {
      const { brokers } = await admin.describeCluster()
      return reconcileTopics(admin, specs, { brokerCount: brokers.length })
    })
    if (report.drift.length > 0)
      logger.warn({ drift: report.drift }, 'Kafka topics differ from brokers/topics')
    const log = createKafkaEventLog({ brokers: [...config.kafkaBrokers], clientId: 'taskflow-local', logger })
    stack.push(() => log.close())
    logger.info({ brokers: config.kafkaBrokers, created: report.created }, 'event log: Kafka')
    return log
  }
  const database = await openDatabase({
    url: databaseUrl,
    applicationName: 'taskflow-eventlog',
    poolMax: 8,
    logger,
  })
  stack.push(() => database.close())
  const log = await createEmbeddedEventLog({ db: database.db, logger })
  stack.push(() => log.close())
  for (const topic of manifests.topics) await log.ensureTopic(topic.name, topic.partitions)
  logger.info('event log: embedded (set KAFKA_BROKERS to use Kafka)')
  return log
}

function sourceSpec(
  source: KafkaSourceManifest,
  sinks: ReadonlyMap<string, KafkaSink>,
  functions: ReadonlyMap<string, FunctionHost>,
) {
  const { delivery } = source
  return {
    name: source.name,
    namespace: source.namespace,
    topics: source.topics,
    consumerGroup: source.consumerGroup,
    initialOffset: source.initialOffset,
    ordering: source.ordering,
    delivery: {
      retry: delivery.retry,
      backoffPolicy: delivery.backoffPolicy,
      backoffDelayMs: delivery.backoffDelayMs,
      timeoutMs: delivery.timeoutMs,
    },
    sink: new URL(resolveDestination(source.sink, sinks, functions)),
    deadLetterSink: delivery.deadLetterSink
      ? new URL(resolveDestination(delivery.deadLetterSink, sinks, functions))
      : null,
    ceOverrides: source.ceOverrides,
    sinkAudience: destinationAudience(source.sink),
    deadLetterAudience: delivery.deadLetterSink ? destinationAudience(delivery.deadLetterSink) : undefined,
  }
}

function sinkRef(sink: { name: string; namespace: string }): ResourceRef {
  return { apiVersion: kafkaSinkApiVersion, kind: 'KafkaSink', name: sink.name, namespace: sink.namespace }
}

/**
 * A function's EVENTS_AUDIENCE and EVENTS_ALLOWED_SENDERS (its Service manifest; func.yaml carries the
 * same) must be what the sources under sources/ make of it: one source of truth, checked at start.
 */
function checkSenderSettings(
  service: { name: string; env: Readonly<Record<string, string>> },
  derived: { audience: string | undefined; subjects: readonly string[] },
): void {
  const expected = {
    EVENTS_AUDIENCE: derived.audience ?? '',
    EVENTS_ALLOWED_SENDERS: derived.subjects.join(','),
  }
  const wrong = Object.entries(expected).filter(([name, value]) => (service.env[name] ?? '') !== value)
  if (wrong.length > 0)
    throw new Error(
      `manifests/base: Service ${service.name} must set ${wrong
        .map(([name, value]) => `${name}=${value}`)
        .join(' and ')} (derived from sources/)`,
    )
}

/**
 * Settings of the cluster's ConfigMaps that describe the cluster, not the function: the OTLP collector's
 * address, production mode and the identity providers (users' and ServiceAccounts'). Locally the system's own auth settings (the same
 * the Task API gets) apply instead, so the API and the functions accept the same tokens.
 */
function isClusterOnlySetting(name: string): boolean {
  return (
    name.startsWith('OTEL_EXPORTER_') ||
    name.startsWith('AUTH_') ||
    name.startsWith('EVENTS_OIDC_') ||
    name === 'NODE_ENV'
  )
}

/** What a Knative Destination (ref or uri) addresses locally. */
function resolveDestination(
  destination: Destination,
  sinks: ReadonlyMap<string, KafkaSink>,
  functions: ReadonlyMap<string, FunctionHost>,
): string {
  if (!destination.ref) return destination.uri
  const { kind, name } = destination.ref
  const base =
    kind === 'KafkaSink' ? sinks.get(name)?.url : kind === 'Service' ? functions.get(name)?.url : undefined
  if (!base)
    throw new Error(`destination ${kind}/${name} is not running locally (is its manifest or folder missing?)`)
  return destination.uri ? new URL(destination.uri, base).href : base
}
