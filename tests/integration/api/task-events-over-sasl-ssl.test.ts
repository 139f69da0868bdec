// Needs: Java and the Kafka jars (a broker of this file's own), openssl, PostgreSQL (TEST_DATABASE_URL).
// The Task API as manifests/base/task-api.yaml configures it on the cluster: the Strimzi listener's
// TLS + SCRAM-SHA-512 (KAFKA_SASL_*, KAFKA_CA_FILE), logged in as the KafkaUser task-api with the ACLs
// brokers/cluster/base/kafka-users.yaml grants it, enforced by the broker. Here the broker is a local
// one with such a listener, its certificate signed by a CA made for the test, as Strimzi signs its
// brokers' certificates with the cluster CA.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../api/src/config.ts'
import { createLogger } from '../../../api/src/logger.ts'
import { type RunningApi, startApi } from '../../../api/src/start-api.ts'
import { type LocalKafka, startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { loadTopicManifests, reconcileTopics } from '../../../brokers/local/src/topics.ts'
import {
  createKafkaClient,
  createProducer,
  type Kafka,
  type KafkaAcl,
  withAdmin,
} from '../../../kafka/src/index.ts'
import { call, eventually, silentLogger } from '../../support/api-harness.ts'
import { consumeRecords, kafkaAvailable } from '../../support/kafka.ts'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../support/postgres.ts'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from '../../support/test-certificates.ts'

// The integration broker's availability says Java and the jars are there; this file starts its own.
const ready = (await postgresAvailable()) && (await kafkaAvailable()) && (await opensslAvailable())

type KafkaUser = { kind: string; metadata: { name: string }; spec: { authorization: { acls: KafkaAcl[] } } }
const taskApiAcls = (
  readYamlDocuments(join(repoRoot, 'brokers/cluster/base/kafka-users.yaml')) as KafkaUser[]
).find((user) => user.kind === 'KafkaUser' && user.metadata.name === 'task-api')?.spec.authorization.acls

describe.runIf(ready)('task API on a TLS + SCRAM-SHA-512 listener, as on the cluster', () => {
  const password = randomBytes(24).toString('hex')
  let dir: string
  let certificates: TestCertificates
  let kafka: LocalKafka
  let plaintext: Kafka
  const lines: string[] = []
  const running: { api: RunningApi; database: TestDatabase }[] = []

  beforeAll(async () => {
    expect(taskApiAcls, 'KafkaUser task-api in brokers/cluster/base/kafka-users.yaml').toBeDefined()
    dir = await mkdtemp(join(tmpdir(), 'taskflow-sasl-ssl-'))
    certificates = await createTestCertificates(dir)
    kafka = await startLocalKafka({
      saslSsl: {
        keyStorePemFile: certificates.brokerKeyStoreFile,
        users: [{ name: 'task-api', password, acls: taskApiAcls ?? [] }],
      },
    })
    // The local side (topics, reading what arrived) uses the PLAINTEXT listener, whose anonymous
    // user is a super user: only the Task API goes through SASL_SSL and its ACLs.
    plaintext = createKafkaClient({ brokers: kafka.brokers, clientId: 'sasl-ssl-test', logger: silentLogger })
    await withAdmin(plaintext, async (admin) =>
      reconcileTopics(admin, await loadTopicManifests(join(repoRoot, 'brokers/topics')), { brokerCount: 1 }),
    )
  })
  afterEach(async () => {
    for (const { api, database } of running.splice(0)) {
      await api.close()
      await database.drop()
    }
  })
  afterAll(async () => {
    await kafka?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  /**
   * The Task API with the env of manifests/base/task-api.yaml, on a database of its own (its outbox
   * backlog is its own), every log line (debug, kafkajs' too) captured.
   */
  async function startTaskApi(env: Record<string, string>): Promise<RunningApi> {
    const database = await createTestDatabase()
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
        done()
      },
    })
    try {
      const config = loadConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: database.url,
        OUTBOX_POLL_INTERVAL_MS: '200',
        KAFKA_BROKERS: kafka.saslSslBrokers.join(','),
        TASK_EVENTS_TOPIC: 'task-events',
        ...env,
      })
      const api = await startApi(config, { logger: createLogger({ level: 'debug', destination }) })
      running.push({ api, database })
      return api
    } catch (error) {
      await database.drop()
      throw error
    }
  }

  const clusterEnv = () => ({
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'task-api',
    KAFKA_SASL_PASSWORD: password,
    KAFKA_CA_FILE: certificates.caFile,
  })

  /** Posts a task and waits until the relay has given up on it at least once, for `reason`. */
  async function relayFails(api: RunningApi, reason: RegExp): Promise<void> {
    const created = await call(api.url, 'POST', '/tasks', { body: { title: 'never published' } })
    expect(created.status).toBe(201)
    const degraded = await eventually(
      () => call(api.url, 'GET', '/readyz'),
      (response) => response.body?.kafka === 'down',
    )
    expect(degraded.body).toMatchObject({ status: 'degraded', outbox: { backlog: 1 } })
    expect(degraded.body.relay.lastError).toMatch(reason)
  }

  it('the outbox relay publishes each task event through SASL_SSL as KafkaUser task-api', async () => {
    const api = await startTaskApi(clusterEnv())
    const created = await call(api.url, 'POST', '/tasks', { body: { title: 'over TLS and SCRAM' } })
    expect(created.status).toBe(201)
    const [record] = await consumeRecords(plaintext, 'task-events', 1)
    expect(record?.key).toBe(created.body.id)
    expect(record?.headers.ce_type).toBe('dev.taskflow.task.created')
    const settled = await eventually(
      () => call(api.url, 'GET', '/readyz'),
      (response) => response.body?.outbox?.backlog === 0,
    )
    expect(settled.body).toMatchObject({ status: 'ready', kafka: 'up' })
  })

  it('a wrong password is refused by the broker: nothing is published, readiness says why', async () => {
    await relayFails(
      await startTaskApi({ ...clusterEnv(), KAFKA_SASL_PASSWORD: `${password}-wrong` }),
      /SASL SCRAM SHA512 authentication failed/,
    )
  })

  it('without the cluster CA the broker certificate is not trusted', async () => {
    const { KAFKA_CA_FILE: _, ...withoutCa } = clusterEnv()
    await relayFails(
      await startTaskApi({ ...withoutCa, KAFKA_TLS: 'true' }),
      /certificate|self.signed|issuer/i,
    )
  })

  it('the broker enforces the ACLs: task-api may write task-events and no other topic', async () => {
    const client = createKafkaClient({
      brokers: kafka.saslSslBrokers,
      clientId: 'as-task-api',
      logger: silentLogger,
      sasl: { mechanism: 'scram-sha-512', username: 'task-api', password },
      ssl: { ca: [certificates.caPem] },
    })
    const producer = createProducer(client, { retry: { retries: 1 } })
    await producer.connect()
    try {
      const record = { key: 'k', value: Buffer.from('{}'), headers: {} }
      await expect(producer.send('dead-letters', [record])).rejects.toThrow(/not authorized/i)
      await expect(producer.send('task-events', [record])).resolves.toHaveLength(1)
    } finally {
      await producer.disconnect()
    }
  })

  it('no log line of any of these runs holds the password', () => {
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.some((line) => line.includes('SASL'))).toBe(true)
    for (const line of lines) expect(line).not.toContain(password)
  })
})
