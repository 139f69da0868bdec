import { pino } from 'pino'
import { afterAll, beforeAll } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../../db/src/index.ts'
import { createEmbeddedEventLog } from '../../../local/src/eventlog/embedded-log.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { dispatcherGroupBehaviour } from './dispatcher-group-behaviour.ts'

// Needs: PGlite (always) and the shared PostgreSQL (skipped locally when unreachable).

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

await describeEachDatabase(
  'KafkaSource dispatchers as one consumer group on the embedded event log',
  (database) => {
    let handle: DatabaseHandle<unknown>
    beforeAll(async () => {
      handle = await openDatabase({ url: database.url, applicationName: 'scaling-test', poolMax: 8 })
    })
    afterAll(async () => {
      await handle?.close()
    })
    dispatcherGroupBehaviour(() => ({
      async open() {
        const log = await createEmbeddedEventLog({
          db: handle.db,
          logger,
          pollIntervalMs: 20,
          sessionTimeoutMs: 2_000,
          heartbeatIntervalMs: 100,
        })
        return { log, ensureTopic: (name, partitions) => log.ensureTopic(name, partitions) }
      },
    }))
  },
)
