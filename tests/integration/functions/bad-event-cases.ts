import fc from 'fast-check'
import {
  type CloudEventRecord,
  createEvent,
  EventTypes,
  httpCodec,
  type TaskflowEvent,
} from '../../../events/src/index.ts'
import { typedDataArb } from '../../support/event-arbitraries.ts'
import { printableWithBody } from '../../support/fuzzing.ts'

// Generators of CloudEvent deliveries for the functions' bad-input fuzzer, as Knative's dispatcher
// (binary mode) or another producer (structured mode) could send them: valid taskflow events, the
// same with their data, attributes, headers or body bent, foreign and PingSource events, garbage.

export type EventCase = {
  /** Which generator made it, for the per-family counts. */
  readonly family: string
  /** Duplicated headers are arrays: undici sends each value as a header line of its own. */
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
  /** A valid event of the contract, unchanged: it must be acknowledged with a 2xx. */
  readonly valid: boolean
}

export const pingSource = '/apis/v1/namespaces/taskflow/pingsources/tick'
export const maxBodyBytes = 1024 * 1024

/**
 * Events of the contract with every type and any data it admits, and attributes the CloudEvents spec
 * admits too (event-arbitraries' own events have any text as `source`, which is not a URI-reference).
 */
const taskflowEventArb: fc.Arbitrary<TaskflowEvent> = fc
  .record(
    {
      typed: typedDataArb,
      source: fc.oneof(fc.constantFrom('/taskflow/api', '/taskflow/reminders'), fc.webUrl()),
      actor: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      correlationId: fc.uuid(),
      causationId: fc.uuid(),
      subject: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      time: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
    },
    { requiredKeys: ['typed', 'source', 'time'] },
  )
  .map(({ typed, time, ...attributes }) =>
    createEvent({ ...attributes, time: time.toISOString(), type: typed.type, data: typed.data as never }),
  )

type Mode = 'binary' | 'structured'
const mode = fc.constantFrom<Mode>('binary', 'structured')

/** Keeps what an HTTP client can put in a header value (field-vchar, obs-text, SP, HTAB). */
const sendable = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')

/** An event the way a producer would put it on the wire (`ce-*` values are percent-encoded). */
function encoded(event: CloudEventRecord, as: Mode, family: string, valid = false): EventCase {
  const message = httpCodec.encode(event as TaskflowEvent, { mode: as })
  const headers = Object.fromEntries(
    Object.entries(message.headers).map(([name, value]) => [name, sendable(value)]),
  )
  return { family, headers, body: Buffer.from(message.body), valid }
}

const weirdString = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '%', '%ZZ', '%C3', 'Zoë', '🦄', '\u202e', '\ud800', 'null'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer({ min: 1000, max: 300_000 }).map((length) => 'x'.repeat(length)),
)
/** A value of the wrong kind for whatever it replaces. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, [], {}, [null], { a: 1 }),
  weirdString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.uuid(),
)

/** Every path to a value inside `value` (object keys and array indices), the root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return []
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value)
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])])
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

type DataMutation =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'drop' | 'add'; pick: number; name: string }

/** Retypes, drops or adds a field somewhere in `data`. */
function mutateData(data: unknown, mutation: DataMutation): unknown {
  const copy = cloneJson(data)
  const paths = pathsOf(copy)
  const path = paths[mutation.pick % Math.max(paths.length, 1)] ?? []
  const parentPath = mutation.kind === 'add' ? path : path.slice(0, -1)
  let parent: unknown = copy
  for (const key of parentPath) parent = (parent as Record<string | number, unknown>)[key]
  if (parent === null || typeof parent !== 'object') return mutation.kind === 'set' ? mutation.value : copy
  const target = parent as Record<string | number, unknown>
  const key = path.at(-1)
  if (mutation.kind === 'set') {
    if (key !== undefined) target[key] = mutation.value
  } else if (mutation.kind === 'add') {
    target[mutation.name] = 'extra'
  } else if (key !== undefined) {
    delete target[key]
  }
  return copy
}

const dataMutation: fc.Arbitrary<DataMutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: wrongValue }),
  fc.record({ kind: fc.constantFrom('drop' as const, 'add' as const), pick: fc.nat(), name: weirdString }),
)

const validEvent = fc
  .tuple(taskflowEventArb, mode)
  .map(([event, as]) => encoded(event, as, 'valid event', true))

const mutatedData = fc
  .tuple(taskflowEventArb, mode, fc.array(dataMutation, { minLength: 1, maxLength: 3 }))
  .map(([event, as, mutations]) => {
    const data = mutations.reduce<unknown>((value, mutation) => mutateData(value, mutation), event.data)
    return encoded({ ...event, data } as CloudEventRecord, as, 'mutated data')
  })

const attributeValue = fc.oneof(
  { weight: 3, arbitrary: weirdString },
  fc.constantFrom(undefined, 'dev.taskflow.task.archived', 'dev.knative.kafka.event', EventTypes.ReminderDue),
  fc.constantFrom('0.3', '1', '1.0 ', '2.0', 'yesterday', '2026-13-45T25:61:61Z', '::', 'http://', 'a b'),
  fc.constantFrom(
    'https://schemas.taskflow.dev/events/dev.taskflow.task.created/v2.json',
    'text/plain',
    'application/xml',
    'application/octet-stream',
    'application/json; charset=latin1',
    'application/cloudevents+json',
  ),
)
/** One attribute (required, optional or extension) replaced, emptied or removed. */
const mutatedAttributes = fc
  .tuple(
    taskflowEventArb,
    mode,
    fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'specversion',
            'id',
            'source',
            'type',
            'time',
            'dataschema',
            'datacontenttype',
            'subject',
            'partitionkey',
            'actor',
          ),
          // Extension names the CloudEvents spec refuses (upper case, `_`, `-`, over 20 characters).
          fc.constantFrom('Foo', 'foo_bar', 'foo-bar', 'x'.repeat(21), 'data_base64', 'datacontentencoding'),
          fc.stringMatching(/^[a-z0-9]{1,20}$/),
        ),
        attributeValue,
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([event, as, changes]) => {
    const record: Record<string, unknown> = { ...event }
    for (const [name, value] of changes) {
      if (value === undefined) delete record[name]
      else record[name] = value
    }
    return encoded(record as CloudEventRecord, as, 'mutated attributes')
  })

/** Structured mode with attributes of the wrong JSON type, data_base64, batches and garbage. */
const structuredOddities = fc
  .oneof(
    fc
      .tuple(taskflowEventArb, fc.constantFrom('id', 'source', 'type', 'specversion', 'time'), wrongValue)
      .map(([event, name, value]) => ({ ...event, [name]: value })),
    fc.tuple(taskflowEventArb, fc.boolean()).map(([event, keepData]) => {
      const { data, ...attributes } = event
      return {
        ...attributes,
        data_base64: Buffer.from(JSON.stringify(data)).toString('base64'),
        ...(keepData ? { data } : {}),
      }
    }),
    fc
      .tuple(taskflowEventArb, fc.constantFrom('!!!', '', '====', 'eyJ9', 12, null))
      .map(([event, data_base64]) => ({ ...event, data: undefined, data_base64 })),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(null, [], {}, 'text', 0),
  )
  .map((value) => ({ contentType: 'application/cloudevents+json', value }))

/** The batched format (an array of events), which Knative never delivers to a subscriber. */
const batch = fc
  .array(taskflowEventArb, { maxLength: 3 })
  .map((events) => ({ contentType: 'application/cloudevents-batch+json', value: events as unknown }))

const structuredBodies = fc.oneof({ weight: 4, arbitrary: structuredOddities }, batch).map(
  ({ contentType, value }): EventCase => ({
    family: 'structured oddities',
    headers: { 'content-type': contentType },
    body: Buffer.from(JSON.stringify(value) ?? 'null'),
    valid: false,
  }),
)

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/cloudevents+json',
  'application/cloudevents+json; charset=utf-16',
  'application/cloudevents-batch+json',
  'application/cloudevents+xml',
  'garbage',
  '',
)

/** The event's headers kept, its body replaced: non-JSON text, bytes, broken JSON, nothing, too much. */
const replacedBodies = fc
  .tuple(
    taskflowEventArb,
    mode,
    fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'grapheme', maxLength: 100 }).map((text) => Buffer.from(text)),
      fc
        .constantFrom('{', '{"data":', '[', '"', 'null', '{"a":1}{', '\u0000')
        .map((text) => Buffer.from(text)),
      fc.constant(Buffer.alloc(0)),
      fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
      fc.integer({ min: 1, max: 4096 }).map((over) => Buffer.alloc(maxBodyBytes + over, 0x20)),
    ),
    fc.option(contentTypes, { nil: undefined }),
  )
  .map(([event, as, body, contentType]) => {
    const wire = encoded(event, as, 'replaced body')
    const headers = { ...wire.headers }
    if (contentType !== undefined) headers['content-type'] = contentType
    return { ...wire, headers, body }
  })

/** Header values that are not UTF-8, not percent-decodable, or sent twice. */
const oddHeaders = fc
  .tuple(
    taskflowEventArb,
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'ce-id',
          'ce-source',
          'ce-type',
          'ce-specversion',
          'ce-time',
          'ce-actor',
          'content-type',
        ),
        fc.oneof(
          fc.constantFrom('\xff\xfe', 'Zo\xeb', '%FF%FE', '%C3%28', '%', '%%', '"quoted"', '"', '\t'),
          fc
            .string({ unit: 'binary', maxLength: 10 })
            .map((text) => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')),
        ),
        fc.boolean(),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([event, changes]) => {
    const wire = encoded(event, 'binary', 'odd headers')
    const headers: Record<string, string | string[]> = { ...wire.headers }
    for (const [name, value, twice] of changes) {
      const current = headers[name]
      headers[name] = twice && typeof current === 'string' ? [current, value] : value
    }
    return { ...wire, headers }
  })

/** What Knative's PingSource sends (binary mode, its configured JSON as the data), right or wrong. */
const pingEvent = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom({ action: 'tick' }, { action: 'purge' }) },
      fc.constantFrom({ action: 'nope' }, {}, null, [], 'tick', { action: 'tick', extra: 1 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    fc.boolean(),
    fc.uuid(),
  )
  .map(([data, withTime, id]) => {
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id,
      source: pingSource,
      type: 'dev.knative.sources.ping',
      datacontenttype: 'application/json',
      data,
      ...(withTime ? { time: new Date().toISOString() } : {}),
    }
    return encoded(event as CloudEventRecord, 'binary', 'PingSource event')
  })

/** No CloudEvent at all: a plain POST with whatever body. */
const notAnEvent = fc
  .tuple(fc.option(contentTypes, { nil: undefined }), fc.uint8Array({ maxLength: 256 }))
  .map(
    ([contentType, bytes]): EventCase => ({
      family: 'not a CloudEvent',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body: Buffer.from(bytes),
      valid: false,
    }),
  )

export const eventCase: fc.Arbitrary<EventCase> = fc
  .oneof(
    { weight: 3, arbitrary: validEvent },
    { weight: 5, arbitrary: mutatedData },
    { weight: 5, arbitrary: mutatedAttributes },
    { weight: 2, arbitrary: structuredBodies },
    { weight: 3, arbitrary: replacedBodies },
    { weight: 2, arbitrary: oddHeaders },
    { weight: 2, arbitrary: pingEvent },
    { weight: 1, arbitrary: notAnEvent },
  )
  .map(printableWithBody)
