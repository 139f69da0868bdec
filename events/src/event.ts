import type { EventData } from './event-data-schemas.ts'
import type { EventType } from './event-types.ts'

/**
 * One of our events, validated: the envelope attributes plus the typed data of its type. A type alias
 * rather than an interface so that it is assignable to `CloudEventRecord` (interfaces get no implicit
 * index signature) and every codec or sink taking any CloudEvent takes ours.
 */
export type TaskflowEvent<T extends EventType = EventType> = {
  specversion: '1.0'
  id: string
  source: string
  type: T
  subject?: string
  time: string
  datacontenttype: 'application/json'
  dataschema: string
  /** Kafka record key (CloudEvents Kafka binding); defaults to the subject so one task stays in one partition. */
  partitionkey?: string
  correlationid?: string
  causationid?: string
  actor?: string
  /** W3C Trace Context (CloudEvents distributed-tracing extension). */
  traceparent?: string
  tracestate?: string
  data: EventData<T>
}

/**
 * Any decoded CloudEvent (ours, a foreign one, or a Kafka record Knative wrapped). Attributes and
 * extensions are strings; `data` is parsed JSON for a JSON content type, a string for text, a Buffer for
 * anything else. Decoders never produce `data_base64` (structured base64 data becomes a Buffer).
 */
export interface CloudEventRecord {
  specversion: string
  id: string
  source: string
  type: string
  datacontenttype?: string
  dataschema?: string
  subject?: string
  time?: string
  data?: unknown
  data_base64?: string
  [attribute: string]: unknown
}

/** What the codecs encode: any CloudEvent, ours included (an interface has no index signature of its own). */
export type EncodableEvent = CloudEventRecord | TaskflowEvent
