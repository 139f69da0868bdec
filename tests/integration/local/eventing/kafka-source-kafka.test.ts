import { pino } from 'pino'
import { describe } from 'vitest'
import { createKafkaEventLog } from '../../../../local/src/eventlog/kafka-log.ts'
import { kafkaAvailable, kafkaBrokers } from '../../../support/kafka.ts'
import { kafkaSourceBehaviour } from './kafka-source-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

describe.runIf(await kafkaAvailable())('local KafkaSource on Kafka [real broker]', () => {
  kafkaSourceBehaviour(() => ({
    async open() {
      const log = createKafkaEventLog({
        brokers: kafkaBrokers(),
        clientId: 'kafka-source-test',
        logger,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      })
      return { log, ensureTopic: (name, partitions) => log.ensureTopic(name, partitions) }
    },
  }))
})
