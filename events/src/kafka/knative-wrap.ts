import { invalidAttribute } from '../cloudevent-attributes.ts'
import type { CodecError } from '../codec-error.ts'
import type { CloudEventRecord } from '../event.ts'
import { err, ok, type Result } from '../result.ts'
import { asBytes, headerString } from './kafka-headers.ts'
import type { KafkaRecordIn } from './kafka-record.ts'

export type KnativeSourceRef = {
  namespace: string
  sourceName: string
  /** The KafkaSource's `ceOverrides.extensions`, set on every event last. */
  ceOverrides?: Record<string, string>
}

export const knativeKafkaEventType = 'dev.knative.kafka.event'

const notAttributeChars = /[^a-z0-9]/g

/**
 * A record that is not a CloudEvent (or failed to parse as one), wrapped the way Knative's KafkaSource
 * dispatcher does it, so a function sees locally exactly what it would see on a cluster.
 */
export function wrapAsKnativeEvent(
  record: KafkaRecordIn,
  source: KnativeSourceRef,
): Result<CloudEventRecord, CodecError> {
  const millis = Number(record.timestamp)
  if (record.timestamp === '' || !Number.isFinite(millis)) {
    return err(invalidAttribute('time', 'cannot be taken from the record timestamp'))
  }
  const event: CloudEventRecord = {
    ...knativeRecordAttributes(record, source),
    time: new Date(millis).toISOString(),
  }
  if (record.key !== null) {
    // The source's default key type is `string`: the key bytes read as UTF-8.
    const key = headerString(record.key, 'key')
    if (key && !key.ok) return key
    if (key) {
      event.key = key.value
      event.partitionkey = key.value
    }
  }
  const headers = record.headers
  if (headers) {
    for (const name in headers) {
      const value = headerString(headers[name], name)
      if (value === undefined) continue
      if (!value.ok) return value
      const lower = name.toLowerCase()
      if (lower === 'content-type') event.datacontenttype = value.value
      else event[`kafkaheader${lower.replace(notAttributeChars, '')}`] = value.value
    }
  }
  // Knative hands the value over untouched, whatever its content type says.
  if (record.value !== null && record.value.length > 0) event.data = Buffer.from(asBytes(record.value))
  return ok(event)
}

/** Knative adds the record's position to every event it dispatches, then the source's `ceOverrides`. */
export function addKnativeExtensions(
  event: CloudEventRecord,
  record: KafkaRecordIn,
  source: KnativeSourceRef,
): void {
  event.knativekafkapartition = String(record.partition)
  event.knativekafkaoffset = record.offset
  if (source.ceOverrides) Object.assign(event, source.ceOverrides)
}

/** The attributes Knative gives a record it wraps: its position is its identity. */
function knativeRecordAttributes(record: KafkaRecordIn, source: KnativeSourceRef): CloudEventRecord {
  return {
    specversion: '1.0',
    id: `partition:${record.partition}/offset:${record.offset}`,
    source: `/apis/v1/namespaces/${source.namespace}/kafkasources/${source.sourceName}#${record.topic}`,
    type: knativeKafkaEventType,
    subject: `partition:${record.partition}#${record.offset}`,
  }
}

/**
 * A record even the Knative wrapping cannot represent (a key or header that is not UTF-8, a broken
 * timestamp: Knative's own dispatcher fails on these, eventing-kafka-broker#2732). It still reaches the
 * sink, so nothing is silently lost: the raw value as opaque data, the reason in `knativeerrordata`
 * (base64, as on dead-lettered events), and of the key and headers everything that reads as UTF-8 (as
 * `key`/`partitionkey` and `kafkaheader*`, the record's content type too), so a dead letter can still be
 * traced to its producer. Only what cannot be read is left out; the record itself stays on its topic.
 */
export function wrapUndecodableRecord(
  record: KafkaRecordIn,
  source: KnativeSourceRef,
  reason: CodecError,
): CloudEventRecord {
  const millis = Number(record.timestamp)
  const event: CloudEventRecord = {
    ...knativeRecordAttributes(record, source),
    time: new Date(Number.isFinite(millis) && record.timestamp !== '' ? millis : Date.now()).toISOString(),
  }
  const key = record.key === null ? undefined : headerString(record.key, 'key')
  if (key?.ok) {
    event.key = key.value
    event.partitionkey = key.value
  }
  for (const name in record.headers ?? {}) {
    const value = headerString(record.headers![name], name)
    if (value?.ok) event[`kafkaheader${name.toLowerCase().replace(notAttributeChars, '')}`] = value.value
  }
  event.datacontenttype = 'application/octet-stream'
  event.knativeerrordata = Buffer.from(reason.message).toString('base64')
  event.data = record.value === null ? Buffer.alloc(0) : Buffer.from(asBytes(record.value))
  addKnativeExtensions(event, record, source)
  return event
}
