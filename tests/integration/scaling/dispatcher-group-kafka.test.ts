import { describeOnKafka } from '../../support/event-logs.ts'
import { dispatcherGroupBehaviour } from './dispatcher-group-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

await describeOnKafka(
  'KafkaSource dispatchers as one consumer group on Kafka',
  'scaling-test',
  dispatcherGroupBehaviour,
)
