import { CodecError } from './codec-error.ts'
import type { CloudEventRecord } from './event.ts'
import { err, ok, type Result } from './result.ts'

// Shared by the Kafka and HTTP codecs: the CloudEvents rules that do not depend on the transport.

const attributeNamePattern = /^[a-z0-9]+$/
// RFC 3339 `date-time`, which the CloudEvents spec requires for `time`.
const timestampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i

export const requiredAttributes = ['specversion', 'id', 'source', 'type'] as const

// `fatal` so a header that is not UTF-8 is an error rather than silently turned into U+FFFD (the
// `kafkaheader*` corruption Knative users reported, eventing-kafka-broker #2732); `ignoreBOM` keeps bytes exact.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function decodeUtf8(bytes: Uint8Array, field: string): Result<string, CodecError> {
  // Most headers are short ASCII: checking the bytes is cheaper than a TextDecoder call on the hot path.
  if (bytes.length <= 256 && isAscii(bytes)) {
    return ok(Buffer.isBuffer(bytes) ? bytes.toString('latin1') : String.fromCharCode(...bytes))
  }
  try {
    return ok(strictUtf8.decode(bytes))
  } catch {
    return err(new CodecError('invalid-utf8', `${field} is not valid UTF-8`, field))
  }
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false
  return true
}

/** The media type without parameters, lower-cased (`Application/JSON; charset=utf-8` -> `application/json`). */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

export function isJsonMediaType(mediaType: string | undefined): boolean {
  return mediaType === 'application/json' || mediaType === 'text/json' || !!mediaType?.endsWith('+json')
}

/** `application/cloudevents+json` and the other CloudEvents event formats mark a structured-mode message. */
export function isCloudEventsFormat(mediaType: string | undefined): boolean {
  return mediaType?.startsWith('application/cloudevents') === true
}

export const structuredJsonFormat = 'application/cloudevents+json'

export function isValidAttributeName(name: string): boolean {
  return attributeNamePattern.test(name)
}

/**
 * Turns a message body into `data` by its content type: JSON is parsed, text stays a string, anything
 * else stays bytes. An empty body means the event has no data.
 */
export function dataFromBytes(
  bytes: Uint8Array,
  contentType: string | undefined,
): Result<unknown, CodecError> | undefined {
  if (bytes.length === 0) return undefined
  const mediaType = mediaTypeOf(contentType)
  const json = isJsonMediaType(mediaType)
  // Without a content type the body is opaque: it stays bytes, as the Kafka and HTTP bindings leave it.
  if (!json && !mediaType?.startsWith('text/'))
    return ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
  const text = decodeUtf8(bytes, 'data')
  if (!text.ok || !json) return text
  return parseJson(text.value, 'data')
}

/** `dataFromBytes` for a body that already is a string (an HTTP server or test handing over text). */
export function dataFromText(
  text: string,
  contentType: string | undefined,
): Result<unknown, CodecError> | undefined {
  if (text.length === 0) return undefined
  const mediaType = mediaTypeOf(contentType)
  if (isJsonMediaType(mediaType)) return parseJson(text, 'data')
  if (mediaType?.startsWith('text/')) return ok(text)
  return ok(Buffer.from(text, 'utf8'))
}

/** The content type a binary-mode message states for its body when the event names none. */
export function bodyContentType(event: CloudEventRecord): string | undefined {
  if (event.datacontenttype !== undefined) return event.datacontenttype
  if (event.data === undefined && event.data_base64 === undefined) return undefined
  return event.data instanceof Uint8Array || event.data_base64 !== undefined
    ? 'application/octet-stream'
    : 'application/json'
}

export function parseJson(text: string, field: string): Result<unknown, CodecError> {
  try {
    return ok(JSON.parse(text))
  } catch (cause) {
    return err(
      new CodecError('invalid-json', `${field} is not valid JSON: ${(cause as Error).message}`, field),
    )
  }
}

/** The bytes a binary-mode body carries for `data`; null when the event has none. */
export function dataToBytes(event: CloudEventRecord): Buffer | null {
  const { data } = event
  if (data === undefined) {
    return typeof event.data_base64 === 'string' ? Buffer.from(event.data_base64, 'base64') : null
  }
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (
    typeof data === 'string' &&
    !isJsonMediaType(mediaTypeOf(event.datacontenttype ?? 'application/json'))
  ) {
    return Buffer.from(data, 'utf8')
  }
  return Buffer.from(JSON.stringify(data), 'utf8')
}

/** Checks what every decoded event must hold, whichever mode it came in. */
export function validateAttributes(event: CloudEventRecord): CodecError | undefined {
  for (const name of requiredAttributes) {
    const value = event[name]
    if (value === undefined || value === '') {
      return new CodecError('missing-attribute', `the CloudEvent has no ${name}`, name)
    }
  }
  if (event.specversion !== '1.0') {
    return new CodecError(
      'invalid-attribute',
      `specversion ${event.specversion} is not supported (only 1.0)`,
      'specversion',
    )
  }
  if (event.time !== undefined && !timestampPattern.test(event.time)) {
    return new CodecError('invalid-attribute', 'time is not an RFC 3339 timestamp', 'time')
  }
  return undefined
}

/**
 * Reads a JSON-format (structured) event. Extension values of the other CloudEvents types (integer,
 * boolean) become their canonical strings, so a consumer sees the same record whichever mode carried it.
 */
export function recordFromStructured(parsed: unknown): Result<CloudEventRecord, CodecError> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err(new CodecError('invalid-json', 'a structured CloudEvent must be a JSON object', 'value'))
  }
  const record: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(parsed)) {
    if (name === 'data') {
      record.data = value
      continue
    }
    if (name === 'data_base64') {
      if (typeof value !== 'string') return err(invalidAttribute(name))
      record.data = Buffer.from(value, 'base64')
      continue
    }
    if (!isValidAttributeName(name)) return err(invalidAttribute(name))
    if (value === null) continue
    if (typeof value === 'string') record[name] = value
    else if (typeof value === 'number' || typeof value === 'boolean') record[name] = String(value)
    else return err(invalidAttribute(name))
  }
  const event = record as CloudEventRecord
  const invalid = validateAttributes(event)
  return invalid ? err(invalid) : ok(event)
}

/** The JSON-format body of an event: bytes as `data_base64`, as the JSON event format requires. */
export function structuredJson(event: CloudEventRecord): string {
  const { data, data_base64, ...attributes } = event
  const body: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) body[name] = value
  }
  if (data instanceof Uint8Array)
    body.data_base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')
  else if (data !== undefined) body.data = data
  else if (data_base64 !== undefined) body.data_base64 = data_base64
  return JSON.stringify(body)
}

export function invalidAttribute(name: string, why = 'has an invalid name or value'): CodecError {
  return new CodecError('invalid-attribute', `attribute ${name} ${why}`, name)
}

/** Canonical string form of an attribute value for a header (binary mode carries every attribute as a string). */
export function attributeString(value: unknown): string {
  if (value instanceof Date) return value.toISOString()
  return String(value)
}
