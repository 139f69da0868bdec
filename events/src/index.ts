// The event contract: every process (Task API, functions, the local KafkaSource) imports this module.
export { CodecError, type CodecErrorCode } from './codec-error.ts'
export {
  type BreakingChange,
  type BreakingChangeKind,
  type CompatibilityReport,
  checkBackwardCompatibility,
  type JsonSchema,
} from './compatibility.ts'
export { type CreateEventInput, createEvent, EventDataError } from './create-event.ts'
export type { CloudEventRecord, EncodableEvent, TaskflowEvent } from './event.ts'
export {
  type ChangeableTaskField,
  changeableTaskFields,
  type EventData,
  eventDataSchemas,
  notificationChannelSchema,
  type TaskSnapshot,
  taskPrioritySchema,
  taskSnapshotSchema,
  taskStatusSchema,
} from './event-data-schemas.ts'
export {
  dataSchemaMajorVersions,
  dataSchemaUri,
  type EventType,
  EventTypes,
  eventTypeList,
  isEventType,
} from './event-types.ts'
export { type HttpMessageIn, type HttpMessageOut, httpCodec } from './http/http-codec.ts'
export {
  type ContentMode,
  defaultMaxValueBytes,
  type KafkaDecodeOptions,
  kafkaCodec,
} from './kafka/kafka-codec.ts'
export type { KafkaRecordIn, KafkaRecordOut } from './kafka/kafka-record.ts'
export { kafkaRecordToHttpBinary } from './kafka/kafka-to-http.ts'
export {
  type KnativeSourceRef,
  knativeKafkaEventType,
  wrapUndecodableRecord,
} from './kafka/knative-wrap.ts'
export { maxAttributeBytes, parseEvent } from './parse-event.ts'
export { err, ok, type Result } from './result.ts'
export {
  isTaskChangeEvent,
  type TaskChangeEvent,
  type TaskChangeEventType,
  taskChangeEventTypes,
} from './task-change-events.ts'
export { activeTraceContext, traceContextOf } from './trace-context.ts'
export { uuidv7 } from './uuid-v7.ts'
