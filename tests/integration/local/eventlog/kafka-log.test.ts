import { describeOnKafka } from '../../../support/event-logs.ts'
import { eventLogBehaviour } from './event-log-behaviour.ts'

// Needs: the real Kafka broker of the integration global setup (or KAFKA_BROKERS).

await describeOnKafka('Kafka event log', 'eventlog-test', eventLogBehaviour)
