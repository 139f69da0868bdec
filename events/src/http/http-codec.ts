import {
  attributeString,
  bodyContentType,
  dataFromBytes,
  dataFromText,
  dataToBytes,
  decodeUtf8,
  invalidAttribute,
  isCloudEventsFormat,
  isJsonMediaType,
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
import type { ContentMode } from '../kafka/kafka-codec.ts'
import { err, ok, type Result } from '../result.ts'
import { decodeHeaderValue, percentEncodeHeaderValue } from './header-values.ts'

export type HttpMessageOut = { headers: Record<string, string>; body: string | Buffer }
export type HttpMessageIn = {
  headers: Record<string, string | string[] | undefined>
  body: string | Buffer | undefined
}

const ceHeaderPrefix = 'ce-'

function encode(encodable: EncodableEvent, opts?: { mode?: ContentMode }): HttpMessageOut {
  const event = encodable as CloudEventRecord
  if (opts?.mode === 'structured') {
    return { headers: { 'content-type': structuredJsonFormat }, body: structuredJson(event) }
  }
  const headers: Record<string, string> = {}
  for (const name in event) {
    const value = event[name]
    if (value === undefined || name === 'data' || name === 'data_base64' || name === 'datacontenttype')
      continue
    headers[ceHeaderPrefix + name] = percentEncodeHeaderValue(attributeString(value))
  }
  const contentType = bodyContentType(event)
  if (contentType !== undefined) headers['content-type'] = contentType
  const bytes = dataToBytes(event)
  if (bytes === null) return { headers, body: '' }
  // Text bodies stay strings so a caller can log or compare them; opaque data stays bytes.
  const mediaType = mediaTypeOf(contentType)
  const text = isJsonMediaType(mediaType) || !!mediaType?.startsWith('text/')
  return { headers, body: text ? bytes.toString('utf8') : bytes }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value
}

export type HttpDecodeOptions = {
  /**
   * Keep a binary-mode body as the bytes it is, unread. A KafkaSink receiver forwards data without
   * reading it (Knative's does not parse it by its content type), so an event whose JSON data is broken
   * still reaches its topic: a dead letter must never be refused for the very fault that made it one.
   */
  readonly opaqueData?: boolean
}

/** HTTP message -> CloudEvent: structured for a CloudEvents content type, binary for `ce-specversion`. */
function decode(msg: HttpMessageIn, opts?: HttpDecodeOptions): Result<CloudEventRecord, CodecError> {
  let contentType: string | undefined
  let event: Record<string, unknown> | undefined
  for (const name in msg.headers) {
    const raw = headerOf(msg.headers[name])
    if (raw === undefined) continue
    const lower = name.toLowerCase()
    if (lower === 'content-type') {
      contentType = raw
      continue
    }
    if (!lower.startsWith(ceHeaderPrefix)) continue
    const attribute = lower.slice(ceHeaderPrefix.length)
    if (!isValidAttributeName(attribute) || attribute === 'data') return err(invalidAttribute(attribute))
    const value = decodeHeaderValue(raw, attribute)
    if (!value.ok) return value
    event ??= {}
    event[attribute] = value.value
  }
  if (isCloudEventsFormat(mediaTypeOf(contentType))) return decodeStructured(msg.body, contentType!)
  if (event?.specversion === undefined) {
    return err(new CodecError('not-cloudevent', 'the message has no CloudEvent headers', 'headers'))
  }
  const binary = event as CloudEventRecord
  if (contentType !== undefined) binary.datacontenttype = contentType
  const invalid = validateAttributes(binary)
  if (invalid) return err(invalid)
  if (opts?.opaqueData && msg.body !== undefined && msg.body.length > 0) {
    binary.data = typeof msg.body === 'string' ? Buffer.from(msg.body, 'utf8') : msg.body
  } else if (msg.body !== undefined) {
    const data =
      typeof msg.body === 'string'
        ? dataFromText(msg.body, contentType)
        : dataFromBytes(msg.body, contentType)
    if (data && !data.ok) return data
    if (data) binary.data = data.value
  }
  return ok(binary)
}

function decodeStructured(
  body: string | Buffer | undefined,
  contentType: string,
): Result<CloudEventRecord, CodecError> {
  if (mediaTypeOf(contentType) !== structuredJsonFormat) {
    return err(
      new CodecError('unsupported-format', `event format ${contentType} is not supported`, 'content-type'),
    )
  }
  if (body === undefined || body.length === 0) {
    return err(new CodecError('invalid-json', 'a structured message needs a body', 'body'))
  }
  const text = typeof body === 'string' ? ok(body) : decodeUtf8(body, 'body')
  if (!text.ok) return text
  const parsed = parseJson(text.value, 'body')
  return parsed.ok ? recordFromStructured(parsed.value) : parsed
}

function isEvent(msg: HttpMessageIn): boolean {
  return decode(msg).ok
}

/** The CloudEvents HTTP protocol binding, same shape as `kafkaCodec`: pure functions, no I/O. */
export const httpCodec = { encode, decode, isEvent }
