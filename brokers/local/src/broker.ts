import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Logger, pino } from 'pino'
import {
  createAcls,
  createKafkaClient,
  type KafkaAcl,
  waitForBrokers,
  waitForGroupCoordinator,
  withAdmin,
} from '../../../kafka/src/index.ts'
import { LocalKafkaError } from './errors.ts'
import { assertJava, ensureKafkaJars, log4jConfigPath, runCommand } from './jars.ts'
import {
  type JavaProcess,
  killJava,
  killJavaNow,
  signalJava,
  spawnJava,
  startWatchdog,
  stopJava,
} from './java-process.ts'
import { assertPortFree, freePorts } from './ports.ts'
import {
  initialControllers,
  type NodeLayout,
  randomKafkaUuid,
  type SaslSslListener,
  serverProperties,
} from './properties.ts'

/**
 * A SCRAM-SHA-512 user, as a Strimzi KafkaUser with `authentication: scram-sha-512` and
 * `authorization: simple`: `acls` in the KafkaUser's own shape (without any, the user may do nothing).
 */
export type ScramUser = { name: string; password: string; acls?: readonly KafkaAcl[] }

export type LocalKafkaOptions = {
  nodes?: 1 | 3
  /** Port of the first node's PLAINTEXT listener (the others take the next ones); default: free ports. */
  port?: number
  /** Where the nodes keep their logs; default a temporary folder removed by stop(). Must be empty. */
  dataDir?: string
  /** Heap per node; default 512 MB for 1 node, 384 MB each for 3. */
  heapMb?: number
  /** Jar cache; default ~/.cache/taskflow/kafka-<version>. */
  jarCacheDir?: string
  startTimeoutMs?: number
  /** How long a node may take for its controlled shutdown before SIGKILL. */
  stopGraceMs?: number
  /** Receives the start phases and their durations (debug level). */
  logger?: Logger
  /**
   * Adds a SASL_SSL listener per node, like the cluster's (see SaslSslListener), with these SCRAM
   * users created at format time (`kafka-storage format --add-scram`; their passwords are on that
   * short-lived JVM's command line: test credentials only). Unset: PLAINTEXT only, no auth, no ACLs.
   */
  saslSsl?: SaslSslListener & { users: readonly ScramUser[] }
}

export type NodeHandle = {
  readonly index: number
  readonly nodeId: number
  readonly port: number
  readonly controllerPort: number
  readonly bootstrap: string
  readonly logFile: string
  /** The JVM's pid while running, undefined when stopped. */
  readonly pid: number | undefined
}

export type LocalKafka = {
  brokers: string[]
  /** Bootstrap servers of the SASL_SSL listeners; empty without the `saslSsl` option. */
  saslSslBrokers: string[]
  clusterId: string
  dataDir: string
  nodes: NodeHandle[]
  /** Stops node i (0-based) with a controlled shutdown; the others keep serving. */
  stopNode(index: number): Promise<void>
  /**
   * Kills node i with SIGKILL, as a crashed pod or an OOM kill would: no controlled shutdown, no flush,
   * open transactions and in-flight requests cut. Resolves once the JVM is gone.
   */
  killNode(index: number): Promise<void>
  /**
   * Freezes node i (SIGSTOP): its sockets stay open but nothing answers, as behind a network partition
   * that drops packets; clients see timeouts, not refused connections. `resumeNode` thaws it (SIGCONT).
   */
  pauseNode(index: number): void
  resumeNode(index: number): void
  /** Restarts a stopped or killed node i on its data and waits until it is registered again. */
  startNode(index: number): Promise<void>
  stop(): Promise<void>
}

const silent = pino({ level: 'silent' })

const tailOf = async (file: string, lines = 40): Promise<string> => {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

// kafka-storage parses `SCRAM-SHA-512=[name=...,password=...]` itself: a comma, bracket, quote or '='
// inside a value would be read as syntax.
const scramValue = /^[A-Za-z0-9._@+-]+$/

function scramCredential(user: ScramUser): string {
  if (!scramValue.test(user.name) || !scramValue.test(user.password))
    throw new LocalKafkaError(
      'bad-option',
      `SCRAM user ${JSON.stringify(user.name)}: name and password may hold only letters, digits and ._@+-`,
    )
  return `SCRAM-SHA-512=[name=${user.name},password=${user.password}]`
}

/**
 * Starts a real KRaft Kafka (1 or 3 combined controller+broker nodes) from the jars Maven resolved,
 * on 127.0.0.1, and resolves once every node answers metadata requests.
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const count = options.nodes ?? 1
  if (count !== 1 && count !== 3)
    throw new LocalKafkaError('bad-option', `nodes must be 1 or 3, got ${count}`)
  const heapMb = options.heapMb ?? (count === 1 ? 512 : 384)
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  const stopGraceMs = options.stopGraceMs ?? 20_000
  // Checked before anything is created, like the other options.
  const scramArguments = (options.saslSsl?.users ?? []).flatMap((user) => [
    '--add-scram',
    scramCredential(user),
  ])

  const log = options.logger ?? silent
  const began = Date.now()
  const phase = (name: string) => log.debug({ phase: name, ms: Date.now() - began }, `local Kafka: ${name}`)
  await assertJava()
  const libs = await ensureKafkaJars(options.jarCacheDir)
  phase('jars ready')

  // Every port the nodes listen on, distinct: PLAINTEXT (unless given), CONTROLLER, SASL_SSL if asked.
  const freePortsPerNode = (options.port === undefined ? 1 : 0) + 1 + (options.saslSsl === undefined ? 0 : 1)
  const free = await freePorts(count * freePortsPerNode)
  const ports: number[] = []
  for (let i = 0; i < count; i++) {
    if (options.port === undefined) {
      ports.push(free.pop()!)
    } else {
      await assertPortFree(options.port + i)
      ports.push(options.port + i)
    }
  }

  const ownsDataDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'taskflow-kafka-')))
  if (!ownsDataDir) {
    await mkdir(dataDir, { recursive: true })
    if (existsSync(join(dataDir, 'node-1'))) {
      throw new LocalKafkaError(
        'data-dir-in-use',
        `${dataDir} already holds a local Kafka; give an empty folder.`,
      )
    }
  }

  const layout: NodeLayout[] = []
  for (let i = 0; i < count; i++) {
    layout.push({
      nodeId: i + 1,
      port: ports[i]!,
      controllerPort: free.pop()!,
      logDir: join(dataDir, `node-${i + 1}`, 'data'),
      directoryId: randomKafkaUuid(),
      ...(options.saslSsl === undefined ? {} : { saslSslPort: free.pop()! }),
    })
  }
  const clusterId = randomKafkaUuid()
  const propertiesFile = (node: NodeLayout) => join(dataDir, `node-${node.nodeId}`, 'server.properties')
  const logFile = (node: NodeLayout) => join(dataDir, `node-${node.nodeId}.log`)
  const classpath = `${libs}/*`

  // Format all nodes (in parallel: one short JVM each). A single node is its own quorum
  // (--standalone); three nodes share one --initial-controllers list naming each node's directory.
  await Promise.all(
    layout.map(async (node) => {
      await mkdir(join(dataDir, `node-${node.nodeId}`), { recursive: true })
      await writeFile(propertiesFile(node), serverProperties(node, layout, heapMb, options.saslSsl))
      const quorum = count === 1 ? ['--standalone'] : ['--initial-controllers', initialControllers(layout)]
      const result = await runCommand('java', [
        // A JVM that lives for a second: the interpreter and C1 only, the smallest collector.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Dlog4j2.configurationFile=${log4jConfigPath}`,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '--config',
        propertiesFile(node),
        '--cluster-id',
        clusterId,
        ...quorum,
        ...scramArguments,
      ])
      if (result.code !== 0) {
        throw new LocalKafkaError(
          'format-failed',
          `kafka-storage format failed for node ${node.nodeId}:\n${result.output}`,
        )
      }
    }),
  )

  phase('storage formatted')

  const processes: Array<JavaProcess | undefined> = layout.map(() => undefined)
  const pidFile = join(dataDir, 'jvm-pids')
  const writePids = () =>
    writeFile(
      pidFile,
      processes
        .filter((java) => java && !java.hasExited())
        .map((java) => java!.pid)
        .join('\n'),
    )
  await writePids()
  const watchdogPid = startWatchdog(pidFile, ownsDataDir ? dataDir : undefined)
  const killAllNow = () => {
    for (const java of processes) if (java) killJavaNow(java)
  }
  process.on('exit', killAllNow)

  const brokers = layout.map((node) => `127.0.0.1:${node.port}`)
  const kafka = createKafkaClient({ brokers, clientId: 'taskflow-local-kafka', logger: silent })

  const launch = async (index: number) => {
    const node = layout[index]!
    const java = spawnJava(
      [
        `-Xmx${heapMb}m`,
        `-Xms${Math.min(heapMb, 128)}m`,
        // Serial GC: the smallest footprint for a broker that serves tests, not production traffic.
        '-XX:+UseSerialGC',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4jConfigPath}`,
        `-Dkafka.logs.dir=${join(dataDir, `node-${node.nodeId}`)}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        propertiesFile(node),
      ],
      logFile(node),
    )
    processes[index] = java
    await writePids()
    const died = new AbortController()
    void java.exited.then((how) => died.abort(new Error(`node ${node.nodeId} exited during start (${how})`)))
    try {
      await waitForBrokers(kafka, {
        // A restarted node must be registered again; at cluster start every node must be.
        nodeIds: [node.nodeId],
        timeoutMs: startTimeoutMs,
        signal: died.signal,
      })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new LocalKafkaError(
        'start-failed',
        `Kafka node ${node.nodeId} did not start: ${reason}\nLast lines of ${logFile(node)}:\n${await tailOf(logFile(node))}`,
        { cause: error },
      )
    }
  }

  const stopIndex = async (index: number) => {
    const java = processes[index]
    if (!java) return
    await stopJava(java, stopGraceMs)
    processes[index] = undefined
    await writePids().catch(() => {})
  }

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    // All at once: stopped one by one, the last node's controlled shutdown waits for a controller
    // quorum that no longer has a majority, and only the SIGKILL after the grace time ends it.
    await Promise.all(layout.map((_, index) => stopIndex(index)))
    process.off('exit', killAllNow)
    if (watchdogPid !== undefined) {
      try {
        process.kill(watchdogPid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true })
  }

  try {
    // A KRaft quorum of 3 elects a leader only once a majority runs: start the JVMs together and
    // wait for each afterwards.
    await Promise.all(layout.map((_, index) => launch(index)))
    phase('brokers answer metadata')
    await waitForGroupCoordinator(kafka, 'taskflow-local-kafka-ready', startTimeoutMs)
    phase('group coordinator ready')
    const users = options.saslSsl?.users ?? []
    if (users.length > 0) {
      await withAdmin(kafka, async (admin) => {
        for (const user of users) await createAcls(admin, `User:${user.name}`, user.acls ?? [])
      })
      phase('ACLs created')
    }
  } catch (error) {
    await stop()
    throw error
  }

  const checkIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= layout.length) {
      throw new LocalKafkaError('bad-option', `node index must be 0..${layout.length - 1}, got ${index}`)
    }
  }

  return {
    brokers,
    saslSslBrokers: layout.flatMap((node) =>
      node.saslSslPort === undefined ? [] : [`127.0.0.1:${node.saslSslPort}`],
    ),
    clusterId,
    dataDir,
    nodes: layout.map((node, index) => ({
      index,
      nodeId: node.nodeId,
      port: node.port,
      controllerPort: node.controllerPort,
      bootstrap: `127.0.0.1:${node.port}`,
      logFile: logFile(node),
      get pid() {
        const java = processes[index]
        return java && !java.hasExited() ? java.pid : undefined
      },
    })),
    async stopNode(index) {
      checkIndex(index)
      await stopIndex(index)
    },
    async killNode(index) {
      checkIndex(index)
      const java = processes[index]
      if (!java) return
      await killJava(java)
      processes[index] = undefined
      await writePids().catch(() => {})
    },
    pauseNode(index) {
      checkIndex(index)
      const java = processes[index]
      if (java) signalJava(java, 'SIGSTOP')
    },
    resumeNode(index) {
      checkIndex(index)
      const java = processes[index]
      if (java) signalJava(java, 'SIGCONT')
    },
    async startNode(index) {
      checkIndex(index)
      if (processes[index] && !processes[index].hasExited()) return
      await launch(index)
    },
    stop,
  }
}
