import { describe, expect, it } from 'vitest'
import {
  initialControllers,
  type NodeLayout,
  randomKafkaUuid,
  serverProperties,
} from '../../../brokers/local/src/properties.ts'

const node = (id: number): NodeLayout => ({
  nodeId: id,
  port: 9091 + id,
  controllerPort: 19091 + id,
  logDir: `/data/node-${id}`,
  directoryId: `dir${id}`,
})

const parse = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  )

describe('local broker server.properties', () => {
  it('one node: a standalone quorum with every replication setting at 1 and no auto-created topics', () => {
    const props = parse(serverProperties(node(1), [node(1)], 512))
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19092',
      'controller.quorum.bootstrap.servers': '127.0.0.1:19092',
      'auto.create.topics.enable': 'false',
      'default.replication.factor': '1',
      'min.insync.replicas': '1',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
    })
    expect(props).not.toHaveProperty('controller.quorum.voters')
    // The default broker stays open: no TLS, no SASL, no ACLs.
    expect(props['listener.security.protocol.map']).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT')
    expect(Object.keys(props).filter((key) => /sasl|ssl|authorizer|super\.users/.test(key))).toEqual([])
  })

  it('a SASL_SSL listener like the Strimzi one: TLS from a PEM key store, SCRAM-SHA-512, ACLs enforced', () => {
    const secure = { ...node(1), saslSslPort: 9093 }
    const props = parse(serverProperties(secure, [secure], 512, { keyStorePemFile: '/certs/broker.pem' }))
    expect(props).toMatchObject({
      listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19092,SASL_SSL://127.0.0.1:9093',
      'advertised.listeners':
        'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19092,SASL_SSL://127.0.0.1:9093',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
      'listener.name.sasl_ssl.ssl.keystore.location': '/certs/broker.pem',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:ANONYMOUS',
    })
    expect(props['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toMatch(
      /ScramLoginModule required;$/,
    )
    expect(() => serverProperties(node(1), [node(1)], 512, { keyStorePemFile: '/certs/broker.pem' })).toThrow(
      /no saslSslPort/,
    )
  })

  it('three nodes: Strimzi production replication (RF 3, min ISR 2) and all controllers listed', () => {
    const cluster = [node(1), node(2), node(3)]
    const props = parse(serverProperties(node(2), cluster, 384))
    expect(props).toMatchObject({
      'node.id': '2',
      'controller.quorum.bootstrap.servers': '127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    })
    expect(initialControllers(cluster)).toBe(
      '1@127.0.0.1:19092:dir1,2@127.0.0.1:19093:dir2,3@127.0.0.1:19094:dir3',
    )
  })

  it('draws Kafka Uuids: 22 URL-safe base64 characters, never starting with a dash', () => {
    for (let i = 0; i < 200; i++) expect(randomKafkaUuid()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})
