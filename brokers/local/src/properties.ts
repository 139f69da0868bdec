import { randomBytes } from 'node:crypto'

export type NodeLayout = {
  nodeId: number
  port: number
  controllerPort: number
  /** The node's log.dirs (also its metadata log: combined mode). */
  logDir: string
  /** Kafka Uuid of the metadata log directory, named in --initial-controllers. */
  directoryId: string
  /** Port of the SASL_SSL listener, when the node has one (see SaslSslListener). */
  saslSslPort?: number
}

/**
 * A second listener shaped like the Strimzi cluster's only one (brokers/cluster: `tls: true`,
 * `authentication: scram-sha-512`, `authorization: simple`): TLS with the broker's own certificate,
 * SCRAM-SHA-512 logins, and ACLs enforced for the users who log in there. PLAINTEXT and CONTROLLER stay
 * as they are and their anonymous principal is a super user, so the local tooling (readiness probes,
 * topic creation, ACL set-up) keeps working unauthenticated.
 */
export type SaslSslListener = {
  /** PEM file with the broker's private key (PKCS#8, unencrypted) and its certificate chain. */
  keyStorePemFile: string
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
export function serverProperties(
  node: NodeLayout,
  cluster: readonly NodeLayout[],
  heapMb: number,
  saslSsl?: SaslSslListener,
): string {
  const size = cluster.length
  const minIsr = size >= 3 ? 2 : 1
  if (saslSsl !== undefined && node.saslSslPort === undefined)
    throw new TypeError(`node ${node.nodeId} has no saslSslPort for its SASL_SSL listener`)
  const listeners = [
    `PLAINTEXT://127.0.0.1:${node.port}`,
    `CONTROLLER://127.0.0.1:${node.controllerPort}`,
    ...(saslSsl === undefined ? [] : [`SASL_SSL://127.0.0.1:${node.saslSslPort}`]),
  ].join(',')
  const entries: Array<[string, string | number | boolean]> = [
    ['process.roles', 'broker,controller'],
    ['node.id', node.nodeId],
    ['listeners', listeners],
    ['advertised.listeners', listeners],
    [
      'listener.security.protocol.map',
      `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${saslSsl === undefined ? '' : ',SASL_SSL:SASL_SSL'}`,
    ],
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
    ...(saslSsl === undefined ? [] : saslSslEntries(saslSsl)),
  ]
  return `${entries.map(([key, value]) => `${key}=${value}`).join('\n')}\n`
}

function saslSslEntries(listener: SaslSslListener): Array<[string, string]> {
  return [
    ['listener.name.sasl_ssl.sasl.enabled.mechanisms', 'SCRAM-SHA-512'],
    [
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config',
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    ],
    ['listener.name.sasl_ssl.ssl.keystore.type', 'PEM'],
    ['listener.name.sasl_ssl.ssl.keystore.location', listener.keyStorePemFile],
    // Strimzi's `authorization: simple`: KRaft's ACL authorizer, nothing allowed without an ACL.
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['allow.everyone.if.no.acl.found', 'false'],
    ['super.users', 'User:ANONYMOUS'],
  ]
}

/** The --initial-controllers value: the same for every node of a dynamic quorum. */
export function initialControllers(cluster: readonly NodeLayout[]): string {
  return cluster.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}:${n.directoryId}`).join(',')
}
