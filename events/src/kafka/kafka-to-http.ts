import {
  isCloudEventsFormat,
  isValidAttributeName,
  mediaTypeOf,
  validateAttributes,
} from '../cloudevent-attributes.ts'
import type { CodecError } from '../codec-error.ts'
import type { CloudEventRecord } from '../event.ts'
import { percentEncodeHeaderValue } from '../http/header-values.ts'
import { type HttpMessageOut, httpCodec } from '../http/http-codec.ts'
import { ok, type Result } from '../result.ts'
import { defaultMaxValueBytes, type KafkaDecodeOptions, kafkaCodec } from './kafka-codec.ts'
import { byteLength, headerString } from './kafka-headers.ts'
import type { KafkaRecordIn } from './kafka-record.ts'
import type { KnativeSourceRef } from './knative-wrap.ts'

const ceKafkaPrefix = 'ce_'
const ceHttpPrefix = 'ce-'

/**
 * A Kafka record as the HTTP binary-mode request a KafkaSource sends for it: the dispatcher's hot path.
 *
 * A binary-mode CloudEvent record (how the project writes every event) is mapped header by header:
 * `ce_x` becomes `ce-x` (percent-encoded as the HTTP binding requires), `content-type` stays, the value
 * is the body byte for byte, then Knative's partition/offset extensions and `ceOverrides`. The data is
 * not parsed, as Knative's dispatcher does not parse it either. Anything else (structured records,
 * records that are not CloudEvents, headers that fail validation) takes the full decode -> encode path,
 * which wraps what is not a valid CloudEvent the way Knative does.
 */
export function kafkaRecordToHttpBinary(
  record: KafkaRecordIn,
  source: KnativeSourceRef,
  opts?: Pick<KafkaDecodeOptions, 'maxValueBytes'>,
): Result<HttpMessageOut, CodecError> {
  return (
    binaryFastPath(record, source, opts?.maxValueBytes ?? defaultMaxValueBytes) ??
    slowPath(record, source, opts)
  )
}

function binaryFastPath(
  record: KafkaRecordIn,
  source: KnativeSourceRef,
  maxValueBytes: number,
): Result<HttpMessageOut, CodecError> | undefined {
  const value = record.value
  // Empty or oversized values, and text values, keep the full path's rules.
  if (value === null || typeof value === 'string' || value.length === 0) return undefined
  if (byteLength(value) > maxValueBytes) return undefined
  const recordHeaders = record.headers
  if (!recordHeaders) return undefined
  const headers: Record<string, string> = {}
  const required: CloudEventRecord = { specversion: '', id: '', source: '', type: '' }
  let contentType: string | undefined
  for (const name in recordHeaders) {
    const lower = name.toLowerCase()
    const isContentType = lower === 'content-type'
    if (!isContentType && !lower.startsWith(ceKafkaPrefix)) continue
    const decoded = headerString(recordHeaders[name], name)
    if (decoded === undefined) continue
    if (!decoded.ok) return undefined
    if (isContentType) {
      contentType = decoded.value
      continue
    }
    const attribute = lower.slice(ceKafkaPrefix.length)
    if (!isValidAttributeName(attribute) || attribute === 'data' || attribute === 'datacontenttype')
      return undefined
    if (attribute in required || attribute === 'time') required[attribute] = decoded.value
    headers[ceHttpPrefix + attribute] = percentEncodeHeaderValue(decoded.value)
  }
  if (isCloudEventsFormat(mediaTypeOf(contentType))) return undefined
  if (required.specversion === '' || validateAttributes(required) !== undefined) return undefined
  headers[`${ceHttpPrefix}knativekafkapartition`] = String(record.partition)
  headers[`${ceHttpPrefix}knativekafkaoffset`] = record.offset
  if (source.ceOverrides) {
    for (const [name, override] of Object.entries(source.ceOverrides)) {
      headers[ceHttpPrefix + name] = percentEncodeHeaderValue(override)
    }
  }
  if (contentType !== undefined) headers['content-type'] = contentType
  return ok({ headers, body: value })
}

function slowPath(
  record: KafkaRecordIn,
  source: KnativeSourceRef,
  opts?: Pick<KafkaDecodeOptions, 'maxValueBytes'>,
): Result<HttpMessageOut, CodecError> {
  const decoded = kafkaCodec.decode(record, { knative: source, maxValueBytes: opts?.maxValueBytes })
  return decoded.ok ? ok(httpCodec.encode(decoded.value, { mode: 'binary' })) : decoded
}
