// The dead letters' reader over either event log: Kafka (KAFKA_BROKERS, with the Task API's settings)
// or the embedded log, found through the running local system when it runs (`npm start`). Used by
// `npm run dead-letters` and by the local system's console.
import { pino } from 'pino'
import { request } from 'undici'
import { openDatabase } from '../../db/src/index.ts'
import { createKafkaClient, type Kafka, withAdmin } from '../../kafka/src/index.ts'
import { readEmbeddedTopic } from '../../local/src/eventlog/index.ts'
import type { SystemStatus } from '../../local/src/status.ts'
import { readSystemState } from '../../local/src/system-state.ts'
import { type KafkaSettings, kafkaSettings, readSettings } from './config.ts'
import { type DeadLetter, deadLetterOf, readDeadLetters } from './dead-letters.ts'

/** No event log to read: said with what to set, exit code 2. */
export class NoEventLog extends Error {}

export type Backend = {
  describe: string
  read(topic: string): Promise<DeadLetter[]>
  /** The running local system's token for a function URL it serves. */
  tokenFor(target: string): string | undefined
  close(): Promise<void>
}

const nothingToRead =
  'start the local system (`npm start`), or set KAFKA_BROKERS (`npm run kafka`, or a cluster with ' +
  'KAFKA_SASL_* and KAFKA_CA_FILE), or DATABASE_URL (a PostgreSQL holding the embedded event log)'

export async function openBackend(
  env: Readonly<Record<string, string | undefined>>,
  stateFile: string | undefined,
): Promise<Backend> {
  const settings = readSettings(env)
  if (settings.kafka !== undefined) return openKafka(settings.kafka, () => undefined)
  const state = await readSystemState(stateFile)
  if (state !== null) {
    const tokenFor = (target: string) => {
      const served = Object.entries(state.functions).find(([, url]) => target.startsWith(url))
      return served === undefined ? undefined : state.invokeTokens[served[0]]
    }
    const status = await request(state.status, { headersTimeout: 5_000, bodyTimeout: 5_000 })
      .then((response) => response.body.json() as Promise<SystemStatus>)
      .catch((error: Error) => {
        throw new NoEventLog(
          `the local system at ${state.gateway} did not answer (${error.message}): ${nothingToRead}`,
        )
      })
    const address = status.eventLogAddress
    if (address?.kind === 'kafka') return openKafka(kafkaSettings(env, address.brokers.join(',')), tokenFor)
    const database = address?.kind === 'embedded' ? (address.database ?? settings.databaseUrl) : undefined
    if (database === undefined)
      throw new NoEventLog(
        status.eventLog === 'kafka'
          ? 'the local system runs on Kafka: set KAFKA_BROKERS to its brokers'
          : 'the local system keeps its event log in its DATABASE_URL: set DATABASE_URL to it',
      )
    return openEmbedded(database, tokenFor)
  }
  if (settings.databaseUrl !== undefined) return openEmbedded(settings.databaseUrl, () => undefined)
  throw new NoEventLog(`no event log to read dead letters from: ${nothingToRead}`)
}

export async function openKafka(settings: KafkaSettings, tokenFor: Backend['tokenFor']): Promise<Backend> {
  const client = (retries: number): Kafka =>
    createKafkaClient({
      brokers: settings.kafkaBrokers,
      clientId: 'taskflow-dead-letters',
      ...(settings.kafkaSasl === undefined ? {} : { sasl: settings.kafkaSasl }),
      ...(settings.kafkaTls === undefined ? {} : { ssl: settings.kafkaTls }),
      // Its own failures are reported below, once, in words.
      logger: pino({ level: 'silent' }),
      ...(retries === 0 ? { retry: { retries: 0 } } : {}),
    })
  const brokers = settings.kafkaBrokers.join(',')
  // A broker that is not there fails in seconds, not after the client's minute of retries.
  await withAdmin(client(0), (admin) => admin.describeCluster()).catch((error: Error) => {
    throw new NoEventLog(
      `no Kafka broker answered at ${brokers} (${error.message}): start one (\`npm run kafka\`), or set ` +
        'KAFKA_BROKERS (and KAFKA_SASL_*, KAFKA_CA_FILE for a cluster) to one that runs',
    )
  })
  const kafka = client(-1)
  return {
    describe: `Kafka at ${brokers}`,
    read: (topic) => readDeadLetters(kafka, topic),
    tokenFor,
    close: async () => {},
  }
}

export async function openEmbedded(url: string, tokenFor: Backend['tokenFor']): Promise<Backend> {
  const where = new URL(url)
  where.password = ''
  const database = await openDatabase({
    url,
    applicationName: 'taskflow-dead-letters',
    poolMax: 1,
    connectTimeoutMs: 5_000,
  }).catch((error: Error) => {
    throw new NoEventLog(`the database at ${where.href} did not answer (${error.message}): ${nothingToRead}`)
  })
  return {
    describe: `the embedded event log in ${where.href}`,
    async read(topic) {
      const records = await readEmbeddedTopic(database.db, topic).catch(
        (error: Error & { code?: string }) => {
          // 42P01: no eventlog.records, so no embedded event log in this database.
          if (error.code === '42P01')
            throw new NoEventLog(
              `${where.href} holds no embedded event log: does the system run on Kafka? set KAFKA_BROKERS`,
            )
          throw error
        },
      )
      return records.map(deadLetterOf)
    },
    tokenFor,
    close: () => database.close(),
  }
}
