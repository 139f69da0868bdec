import { pino } from 'pino'
import { afterAll, beforeAll, describe } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../db/src/index.ts'
import { createEmbeddedEventLog } from '../../local/src/eventlog/embedded-log.ts'
import { createKafkaEventLog } from '../../local/src/eventlog/kafka-log.ts'
import type { EventLog } from '../../local/src/eventlog/types.ts'
import { kafkaAvailable, kafkaBrokers } from './kafka.ts'
import { describeEachDatabase } from './postgres.ts'

// The event logs suites run on, with group timings short enough that rebalances take a fraction of a
// second (Knative's are 10 s sessions and 3 s heartbeats).

export interface TestEventLog {
  readonly log: EventLog
  ensureTopic(name: string, partitions: number): Promise<void>
}

export interface EventLogBackend {
  /** A new log on the backend's shared store (a second call: another process on the same data). */
  open(): Promise<TestEventLog>
}

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

/** Runs `suite` on the real broker of the integration global setup (skipped/failed like any service). */
export async function describeOnKafka(
  name: string,
  clientId: string,
  suite: (backend: () => EventLogBackend) => void,
): Promise<void> {
  describe.runIf(await kafkaAvailable())(`${name} [real broker]`, () => {
    suite(() => ({
      async open() {
        // The broker's minimum session (group.min.session.timeout.ms).
        const log = createKafkaEventLog({
          brokers: kafkaBrokers(),
          clientId,
          logger,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
        })
        return { log, ensureTopic: (topic, partitions) => log.ensureTopic(topic, partitions) }
      },
    }))
  })
}

/** Runs `suite` on the embedded event log, on each database backend of the vitest project. */
export async function describeOnEmbeddedLog(
  name: string,
  suite: (backend: () => EventLogBackend) => void,
): Promise<void> {
  await describeEachDatabase(name, (database) => {
    let handle: DatabaseHandle<unknown>
    beforeAll(async () => {
      handle = await openDatabase({ url: database.url, applicationName: 'event-log-test', poolMax: 8 })
    })
    afterAll(async () => {
      await handle?.close()
    })
    suite(() => ({
      async open() {
        const log = await createEmbeddedEventLog({
          db: handle.db,
          logger,
          pollIntervalMs: 20,
          sessionTimeoutMs: 2_000,
          heartbeatIntervalMs: 100,
        })
        return { log, ensureTopic: (topic, partitions) => log.ensureTopic(topic, partitions) }
      },
    }))
  })
}
