// `npm run kafka` starts a local KRaft broker with the topics of brokers/topics and runs until
// Ctrl-C; `npm run kafka:install` only fetches the jars (CI's set-up step).
import { pino } from 'pino'
import { runCommand, UsageError } from '../../../cli/src/command-line.ts'
import { type ProgressSink, plainLines, step } from '../../../cli/src/progress.ts'
import { createKafkaClient, withAdmin } from '../../../kafka/src/index.ts'
import { startLocalKafka } from './broker.ts'
import { ConfigError, readConfig } from './config.ts'
import { LocalKafkaError } from './errors.ts'
import { assertJava, ensureKafkaJars, kafkaJarsCached, kafkaVersion } from './jars.ts'
import { describeDrift, loadTopicManifests, reconcileTopics, TopicManifestError } from './topics.ts'

const usage = `Usage: npm run kafka -- [install] [--nodes 1|3] [--port N] [--increase-partitions]
  install               only fetch the Kafka ${kafkaVersion} jars into the cache
  --nodes 1|3           one node (default) or three combined controller+broker nodes (RF 3, min ISR 2)
  --port N              PLAINTEXT port of the first node (default 9092; the others take N+1, N+2)
  --increase-partitions add partitions to topics that have fewer than their manifest declares
  -h, --help            this text
env: KAFKA_PORT, KAFKA_NODES, KAFKA_HEAP_MB, KAFKA_DATA_DIR, KAFKA_TOPICS_DIR, TASKFLOW_KAFKA_HOME, LOG_LEVEL
Exit codes: runs until Ctrl-C (0); 1 Kafka could not start; 2 usage errors.`

const options = {
  nodes: { type: 'string' },
  port: { type: 'string' },
  'increase-partitions': { type: 'boolean' },
} as const

function main(argv: readonly string[]): Promise<number> {
  return runCommand(argv, { usage, options, maxPositionals: 1 }, async ({ values, positionals }) => {
    if (positionals[0] !== undefined && positionals[0] !== 'install')
      throw new UsageError(`unknown command ${positionals[0]}`)
    if (values.nodes !== undefined && values.nodes !== '1' && values.nodes !== '3')
      throw new UsageError(`--nodes must be 1 or 3, got ${values.nodes}`)
    const flagPort = values.port === undefined ? undefined : Number(values.port)
    if (flagPort !== undefined && !(Number.isInteger(flagPort) && flagPort >= 1 && flagPort <= 65_535))
      throw new UsageError(`--port must be a port, got ${values.port}`)
    return run(positionals[0] === 'install', {
      nodes: values.nodes === undefined ? undefined : Number(values.nodes),
      port: flagPort,
      increasePartitions: values['increase-partitions'] === true,
    })
  })
}

async function run(
  installOnly: boolean,
  flags: { nodes: number | undefined; port: number | undefined; increasePartitions: boolean },
): Promise<number> {
  const config = readConfig()
  const logger = pino({ name: 'local-kafka', level: config.logLevel })
  // The slow steps (the first jar download, the broker's start) say what they do and how long it took:
  // plain lines on a terminal, log records otherwise.
  const progress: ProgressSink = process.stderr.isTTY
    ? plainLines((line) => process.stderr.write(line))
    : logger
  await assertJava()
  const libs = kafkaJarsCached(config.jarCacheDir)
    ? await ensureKafkaJars(config.jarCacheDir)
    : await step(
        progress,
        `downloading the Kafka ${kafkaVersion} jars with Maven into ${config.jarCacheDir} (once, ~10-30 s)`,
        () => ensureKafkaJars(config.jarCacheDir),
      )
  if (installOnly) {
    logger.info({ libs }, `Kafka ${kafkaVersion} jars ready`)
    return 0
  }
  const nodes = flags.nodes ?? config.nodes
  if (nodes !== 1 && nodes !== 3) throw new ConfigError(`KAFKA_NODES must be 1 or 3, got ${nodes}`)
  const port = flags.port ?? config.port

  const specs = await loadTopicManifests(config.topicsDir)
  const started = Date.now()
  const kafka = await step(
    progress,
    `starting Kafka ${kafkaVersion} (${nodes} node${nodes === 1 ? '' : 's'})`,
    () =>
      startLocalKafka({
        nodes,
        port,
        heapMb: config.heapMb,
        dataDir: config.dataDir,
        jarCacheDir: config.jarCacheDir,
        logger,
      }),
  )
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'stopping Kafka')
    await kafka.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  const client = createKafkaClient({ brokers: kafka.brokers, clientId: 'taskflow-local-kafka-cli', logger })
  const report = await withAdmin(client, (admin) =>
    reconcileTopics(admin, specs, { brokerCount: nodes, increasePartitions: flags.increasePartitions }),
  )
  for (const drift of report.drift) logger.warn({ drift }, `topic drift: ${describeDrift(drift)}`)
  logger.info(
    { created: report.created, partitionsIncreased: report.partitionsIncreased, dataDir: kafka.dataDir },
    `Kafka ${kafkaVersion} ready in ${Date.now() - started} ms`,
  )
  // The one line a person or a script needs, on stdout.
  console.info(`KAFKA_BROKERS=${kafka.brokers.join(',')}`)
  return -1
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error: unknown) => {
    const known =
      error instanceof LocalKafkaError || error instanceof ConfigError || error instanceof TopicManifestError
    console.error(known ? (error as Error).message : error)
    process.exit(1)
  },
)
