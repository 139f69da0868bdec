import { isJsonMediaType, mediaTypeOf, validateAttributes } from './cloudevent-attributes.ts'
import { CodecError } from './codec-error.ts'
import { issuePath } from './create-event.ts'
import type { CloudEventRecord, EncodableEvent, TaskflowEvent } from './event.ts'
import { eventDataSchemas } from './event-data-schemas.ts'
import { dataSchemaUri, isEventType } from './event-types.ts'
import { err, ok, type Result } from './result.ts'

const optionalStringAttributes = [
  'subject',
  'partitionkey',
  'correlationid',
  'causationid',
  'actor',
  'traceparent',
  'tracestate',
] as const

/**
 * The most an attribute of ours may hold, in UTF-8 bytes. Consumers key on `source` + `id` (a
 * PostgreSQL btree entry holds at most ~2.7 KB) and carry ids and extensions on into the events they
 * emit (as HTTP headers, whose total a server bounds, 16 KiB in Node); our producers write far less
 * (UUIDs, Knative's `partition:P/offset:O`, source paths).
 */
export const maxAttributeBytes = 1024

/**
 * A decoded CloudEvent checked against our contract: a known type, our attributes, and data that passes
 * the type's zod schema. Unknown data fields are dropped rather than refused (a tolerant reader), so a
 * producer may add optional fields before every consumer knows them.
 */
export function parseEvent(input: EncodableEvent): Result<TaskflowEvent, CodecError> {
  const record = input as CloudEventRecord
  const { type } = record
  if (!isEventType(type))
    return err(new CodecError('unknown-type', `${String(type)} is not a taskflow event type`, 'type'))
  // The cloudevents SDK (faas-js-runtime hands its events over) may hold `time` as a Date.
  const time =
    (record.time as unknown) instanceof Date ? (record.time as unknown as Date).toISOString() : record.time
  const attributes = time === record.time ? record : { ...record, time }
  const invalid = validateAttributes(attributes) ?? oversizedAttribute(record)
  if (invalid) return err(invalid)
  if (time === undefined)
    return err(new CodecError('missing-attribute', 'the CloudEvent has no time', 'time'))
  // The JSON event format defaults an absent datacontenttype to JSON.
  const contentType = record.datacontenttype
  if (contentType !== undefined && !isJsonMediaType(mediaTypeOf(contentType))) {
    return err(
      new CodecError('invalid-attribute', `datacontenttype ${contentType} is not JSON`, 'datacontenttype'),
    )
  }
  const expectedSchema = dataSchemaUri(type)
  if (record.dataschema !== undefined && record.dataschema !== expectedSchema) {
    return err(
      new CodecError(
        'schema-mismatch',
        `dataschema ${record.dataschema} is not ${expectedSchema}`,
        'dataschema',
      ),
    )
  }
  const parsed = eventDataSchemas[type].safeParse(record.data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issuePath('data', issue)
    return err(new CodecError('schema-mismatch', `${field}: ${issue.message}`, field))
  }
  const event: TaskflowEvent = {
    specversion: '1.0',
    id: record.id,
    source: record.source,
    type,
    time,
    datacontenttype: 'application/json',
    dataschema: expectedSchema,
    data: parsed.data,
  }
  for (const name of optionalStringAttributes) {
    const value = record[name]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string') {
      return err(new CodecError('invalid-attribute', `attribute ${name} must be a string`, name))
    }
    event[name] = value
  }
  return ok(event)
}

function oversizedAttribute(record: CloudEventRecord): CodecError | undefined {
  for (const name of ['id', 'source', ...optionalStringAttributes]) {
    const value = record[name]
    if (typeof value === 'string' && Buffer.byteLength(value) > maxAttributeBytes) {
      return new CodecError(
        'invalid-attribute',
        `attribute ${name} is longer than ${maxAttributeBytes} bytes`,
        name,
      )
    }
  }
  return undefined
}
