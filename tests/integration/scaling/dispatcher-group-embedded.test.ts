import { describeOnEmbeddedLog } from '../../support/event-logs.ts'
import { dispatcherGroupBehaviour } from './dispatcher-group-behaviour.ts'

// Needs: PGlite (always) and the shared PostgreSQL (skipped locally when unreachable).

await describeOnEmbeddedLog(
  'KafkaSource dispatchers as one consumer group on the embedded event log',
  dispatcherGroupBehaviour,
)
