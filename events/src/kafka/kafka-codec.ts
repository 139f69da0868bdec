import {
  attributeString,
  bodyContentType,
  dataFromBytes,
  dataToBytes,
  decodeUtf8,
  invalidAttribute,
  isCloudEventsFormat,
  isValidAttributeName,
  mediaTypeOf,
  parseJson,
  recordFromStructured,
  structuredJson,
  structuredJsonFormat,
  validateAttributes,
} from '../cloudevent-attributes.ts'
import { CodecError } from '../codec-error.ts'
import type { CloudEventRecord, EncodableEvent } from '../event.ts'
import { err, ok, type Result } from '../result.ts'
import { asBytes, byteLength, headerString } from './kafka-headers.ts'
import type { KafkaRecordIn, KafkaRecordOut } from './kafka-record.ts'
import { addKnativeExtensions, type KnativeSourceRef, wrapAsKnativeEvent } from './knative-wrap.ts'

export type ContentMode = 'binary' | 'structured'

export type KafkaDecodeOptions = {
  /** Set by the KafkaSource emulation: records that are not CloudEvents get wrapped as Knative does. */
  knative?: KnativeSourceRef
  maxValueBytes?: number
}

/** Kafka's default `message.max.bytes` is about 1 MiB: a larger value did not come from a default broker. */
export const defaultMaxValueBytes = 1024 * 1024

const ceHeaderPrefix = 'ce_'
const emptyValue = Buffer.alloc(0)

function encode(encodable: EncodableEvent, opts?: { mode?: ContentMode }): KafkaRecordOut {
  const event = encodable as CloudEventRecord
  const key = typeof event.partitionkey === 'string' ? event.partitionkey : null
  if (opts?.mode === 'structured') {
    return {
      key,
      value: Buffer.from(structuredJson(event), 'utf8'),
      headers: { 'content-type': structuredJsonFormat },
    }
  }
  const headers: Record<string, string> = {}
  for (const name in event) {
    const value = event[name]
    if (value === undefined || name === 'data' || name === 'data_base64' || name === 'datacontenttype')
      continue
    headers[ceHeaderPrefix + name] = attributeString(value)
  }
  const contentType = bodyContentType(event)
  if (contentType !== undefined) headers['content-type'] = contentType
  return { key, value: dataToBytes(event) ?? emptyValue, headers }
}

/**
 * Record -> CloudEvent, in the order Knative's KafkaSource applies: structured when `content-type` is a
 * CloudEvents format, else binary when a `ce_specversion` header exists, else (only for a KafkaSource,
 * `opts.knative`) the Knative wrapping, which also catches records whose CloudEvent parsing failed.
 * Hot path of the dispatcher: one pass over the headers, no schema validation.
 */
function decode(record: KafkaRecordIn, opts?: KafkaDecodeOptions): Result<CloudEventRecord, CodecError> {
  const maxValueBytes = opts?.maxValueBytes ?? defaultMaxValueBytes
  const size = byteLength(record.value)
  if (size > maxValueBytes) {
    return err(new CodecError('too-large', `value has ${size} bytes, more than ${maxValueBytes}`, 'value'))
  }
  const knative = opts?.knative
  const decoded = decodeCloudEvent(record)
  if (decoded === undefined || (!decoded.ok && knative)) {
    if (!knative)
      return err(new CodecError('not-cloudevent', 'the record has no CloudEvent headers', 'headers'))
    const wrapped = wrapAsKnativeEvent(record, knative)
    if (wrapped.ok) addKnativeExtensions(wrapped.value, record, knative)
    return wrapped
  }
  if (decoded.ok && knative) addKnativeExtensions(decoded.value, record, knative)
  return decoded
}

/** The record as a CloudEvent in structured or binary mode; undefined when it is neither. */
function decodeCloudEvent(record: KafkaRecordIn): Result<CloudEventRecord, CodecError> | undefined {
  const headers = record.headers ?? {}
  let contentType: string | undefined
  let event: Record<string, unknown> | undefined
  let failure: CodecError | undefined
  for (const name in headers) {
    const lower = name.toLowerCase()
    const isContentType = lower === 'content-type'
    if (!isContentType && !lower.startsWith(ceHeaderPrefix)) continue
    const value = headerString(headers[name], name)
    if (value === undefined) continue
    if (!value.ok) {
      failure ??= value.error
      continue
    }
    if (isContentType) {
      contentType = value.value
      continue
    }
    const attribute = lower.slice(ceHeaderPrefix.length)
    if (!isValidAttributeName(attribute) || attribute === 'data') failure ??= invalidAttribute(attribute)
    event ??= {}
    event[attribute] = value.value
  }
  if (isCloudEventsFormat(mediaTypeOf(contentType))) return decodeStructured(record, contentType!)
  if (event?.specversion === undefined) return undefined
  if (failure) return err(failure)
  const binary = event as CloudEventRecord
  if (contentType !== undefined) binary.datacontenttype = contentType
  const invalid = validateAttributes(binary)
  if (invalid) return err(invalid)
  if (record.value !== null) {
    const data = dataFromBytes(asBytes(record.value), contentType)
    if (data && !data.ok) return data
    if (data) binary.data = data.value
  }
  return ok(binary)
}

function decodeStructured(record: KafkaRecordIn, contentType: string): Result<CloudEventRecord, CodecError> {
  if (mediaTypeOf(contentType) !== structuredJsonFormat) {
    return err(
      new CodecError('unsupported-format', `event format ${contentType} is not supported`, 'content-type'),
    )
  }
  if (record.value === null)
    return err(new CodecError('invalid-json', 'a structured record needs a value', 'value'))
  const text = typeof record.value === 'string' ? ok(record.value) : decodeUtf8(record.value, 'value')
  if (!text.ok) return text
  const parsed = parseJson(text.value, 'value')
  return parsed.ok ? recordFromStructured(parsed.value) : parsed
}

/** Whether the record carries a valid CloudEvent in structured or binary mode. */
function isEvent(record: KafkaRecordIn): boolean {
  return decodeCloudEvent(record)?.ok === true
}

/** The CloudEvents Kafka protocol binding: pure functions, no I/O. */
export const kafkaCodec = { encode, decode, isEvent }
