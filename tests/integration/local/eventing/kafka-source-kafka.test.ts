import { describeOnKafka } from '../../../support/event-logs.ts'
import { kafkaSourceBehaviour } from './kafka-source-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

await describeOnKafka('local KafkaSource on Kafka', 'kafka-source-test', kafkaSourceBehaviour)
