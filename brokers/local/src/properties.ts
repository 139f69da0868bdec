import { randomBytes } from 'node:crypto'

export type NodeLayout = {
  nodeId: number
  port: number
  controllerPort: number
  /** The node's log.dirs (also its metadata log: combined mode). */
  logDir: string
  /** Kafka Uuid of the metadata log directory, named in --initial-controllers. */
  directoryId: string
}

/**
 * A Kafka Uuid as Kafka prints it: 16 random bytes, URL-safe base64 without padding. Like
 * Uuid.randomUuid() we draw again when the text would start with '-' (a CLI would read it as a flag).
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const text = randomBytes(16).toString('base64url')
    if (!text.startsWith('-')) return text
  }
}

/**
 * server.properties of one combined controller+broker node (Strimzi's dev pool runs the same
 * roles). Replication settings follow the cluster size: with 3 nodes they are Strimzi's
 * production values (RF 3, min ISR 2), with 1 node everything is 1.
 */
export function serverProperties(node: NodeLayout, cluster: readonly NodeLayout[], heapMb: number): string {
  const size = cluster.length
  const minIsr = size >= 3 ? 2 : 1
  const entries: Array<[string, string | number | boolean]> = [
    ['process.roles', 'broker,controller'],
    ['node.id', node.nodeId],
    ['listeners', `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`],
    [
      'advertised.listeners',
      `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    ],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    // A dynamic (KIP-853) quorum: formatted with --standalone (1 node) or --initial-controllers.
    ['controller.quorum.bootstrap.servers', cluster.map((n) => `127.0.0.1:${n.controllerPort}`).join(',')],
    ['log.dirs', node.logDir],
    // Topics exist only as declared in brokers/topics (Strimzi KafkaTopic), as on the cluster.
    ['auto.create.topics.enable', false],
    ['num.partitions', 1],
    ['default.replication.factor', size],
    ['min.insync.replicas', minIsr],
    ['offsets.topic.replication.factor', size],
    // Fewer internal partitions than the default 50: the first consumer group is ready sooner.
    ['offsets.topic.num.partitions', 10],
    ['transaction.state.log.replication.factor', size],
    ['transaction.state.log.min.isr', minIsr],
    ['transaction.state.log.num.partitions', 10],
    ['share.coordinator.state.topic.replication.factor', size],
    ['share.coordinator.state.topic.min.isr', minIsr],
    // Kafka waits 3 s for more members before the first rebalance; tests start one at a time.
    ['group.initial.rebalance.delay.ms', 0],
    // Sized for a 2-core machine running several nodes and the test suite at once.
    ['num.network.threads', 2],
    ['num.io.threads', heapMb >= 512 ? 4 : 2],
    ['num.recovery.threads.per.data.dir', 1],
    ['log.retention.check.interval.ms', 60_000],
  ]
  return `${entries.map(([key, value]) => `${key}=${value}`).join('\n')}\n`
}

/** The --initial-controllers value: the same for every node of a dynamic quorum. */
export function initialControllers(cluster: readonly NodeLayout[]): string {
  return cluster.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}:${n.directoryId}`).join(',')
}
