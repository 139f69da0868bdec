import { pino } from 'pino'
import { describe } from 'vitest'
import { createKafkaEventLog } from '../../../../local/src/eventlog/kafka-log.ts'
import { kafkaAvailable, kafkaBrokers } from '../../../support/kafka.ts'
import { eventLogBehaviour } from './event-log-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

describe.runIf(await kafkaAvailable())('Kafka event log [real broker]', () => {
  eventLogBehaviour(() => ({
    async open() {
      const log = createKafkaEventLog({
        brokers: kafkaBrokers(),
        clientId: 'eventlog-test',
        logger,
        // The broker's minimum session (group.min.session.timeout.ms), so rebalances are quick.
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      })
      return { log, ensureTopic: (name, partitions) => log.ensureTopic(name, partitions) }
    },
  }))
})
