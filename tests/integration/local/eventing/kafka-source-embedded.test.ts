import { describeOnEmbeddedLog } from '../../../support/event-logs.ts'
import { kafkaSourceBehaviour } from './kafka-source-behaviour.ts'

// Needs: PGlite (always) and the shared PostgreSQL (skipped locally when unreachable).

await describeOnEmbeddedLog('local KafkaSource on the embedded event log', kafkaSourceBehaviour)
