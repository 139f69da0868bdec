import { pino } from 'pino'
import { describe } from 'vitest'
import { createKafkaEventLog } from '../../../local/src/eventlog/kafka-log.ts'
import { kafkaAvailable, kafkaBrokers } from '../../support/kafka.ts'
import { dispatcherGroupBehaviour } from './dispatcher-group-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

describe.runIf(await kafkaAvailable())(
  'KafkaSource dispatchers as one consumer group on Kafka [real broker]',
  () => {
    dispatcherGroupBehaviour(() => ({
      async open() {
        const log = createKafkaEventLog({
          brokers: kafkaBrokers(),
          clientId: 'scaling-test',
          logger,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
        })
        return { log, ensureTopic: (name, partitions) => log.ensureTopic(name, partitions) }
      },
    }))
  },
)
