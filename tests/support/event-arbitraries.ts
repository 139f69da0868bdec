import fc from 'fast-check'
import {
  type CloudEventRecord,
  changeableTaskFields,
  createEvent,
  type EventType,
  EventTypes,
  type TaskflowEvent,
  type TaskSnapshot,
} from '../../events/src/index.ts'

// Generators of valid events for the property tests; strings cover all of Unicode (graphemes), because
// header encodings (UTF-8 on Kafka, percent-encoding on HTTP) are where round trips break.

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
const isoTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString())
const taskId = fc.uuid({ version: [4, 7] })

export const taskSnapshotArb: fc.Arbitrary<TaskSnapshot> = fc.record({
  id: taskId,
  title: text,
  description: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null }),
  status: fc.constantFrom('open', 'in_progress', 'done'),
  priority: fc.constantFrom('low', 'normal', 'high', 'urgent'),
  dueAt: fc.option(isoTime, { nil: null }),
  remindAt: fc.option(isoTime, { nil: null }),
  assignee: fc.option(text, { nil: null }),
  watchers: fc.array(text, { maxLength: 3 }),
  tags: fc.array(text, { maxLength: 3 }),
  createdBy: text,
  createdAt: isoTime,
  updatedAt: isoTime,
  version: fc.integer({ min: 1, max: 1_000_000 }),
})

const changeValue = fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 2 }), fc.constant(null))
const changesArb = fc
  .uniqueArray(fc.constantFrom(...changeableTaskFields), { minLength: 1, maxLength: 4 })
  .chain((fields) =>
    fc.tuple(
      ...fields.map((field) =>
        fc.record({ previous: changeValue, current: changeValue }).map((c) => [field, c] as const),
      ),
    ),
  )
  .map((entries) => Object.fromEntries(entries))

const reminderArb = fc.record({
  taskId,
  title: text,
  remindAt: isoTime,
  dueAt: fc.option(isoTime, { nil: null }),
  assignee: fc.option(text, { nil: null }),
  watchers: fc.array(text, { maxLength: 3 }),
  createdBy: text,
})

const notificationArb = fc.record({
  notificationId: fc.uuid({ version: 7 }),
  recipient: text,
  channel: fc.constantFrom('in_app', 'webhook', 'email'),
  taskId,
  causeEventId: fc.uuid({ version: 7 }),
})

/** `{ type, data }` pairs of every event type, each data valid for its type. */
export const typedDataArb: fc.Arbitrary<{ type: EventType; data: unknown }> = fc.oneof(
  taskSnapshotArb.map((task) => ({ type: EventTypes.TaskCreated, data: { task } })),
  fc
    .tuple(taskSnapshotArb, changesArb)
    .map(([task, changes]) => ({ type: EventTypes.TaskUpdated, data: { task, changes } })),
  fc.tuple(taskSnapshotArb, isoTime).map(([task, completedAt]) => ({
    type: EventTypes.TaskCompleted,
    data: { task: { ...task, status: 'done' }, completedAt },
  })),
  taskSnapshotArb.map((task) => ({ type: EventTypes.TaskDeleted, data: { task } })),
  reminderArb.map((data) => ({ type: EventTypes.ReminderDue, data })),
  notificationArb.map((data) => ({ type: EventTypes.NotificationSent, data })),
)

/** Valid events as `createEvent` builds them, with every optional attribute sometimes present. */
export const taskflowEventArb: fc.Arbitrary<TaskflowEvent> = fc
  .record(
    {
      typed: typedDataArb,
      source: text,
      actor: text,
      correlationId: fc.uuid({ version: 7 }),
      causationId: fc.uuid({ version: 7 }),
      subject: text,
      time: isoTime,
    },
    { requiredKeys: ['typed', 'source', 'time'] },
  )
  .map(({ typed, ...attributes }) =>
    createEvent({ ...attributes, type: typed.type, data: typed.data as never }),
  )

const reservedNames = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
  'data',
])
const extensionName = fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((name) => !reservedNames.has(name))

const dataArb: fc.Arbitrary<{ datacontenttype: string; data: unknown }> = fc.oneof(
  // Through JSON once: JSON has no -0, so a generated -0 is not a value any JSON transport can carry.
  fc.jsonValue().map((data) => ({
    datacontenttype: 'application/json',
    data: JSON.parse(JSON.stringify(data)) as unknown,
  })),
  fc
    .string({ unit: 'grapheme', minLength: 1 })
    .map((data) => ({ datacontenttype: 'text/plain; charset=utf-8', data })),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((bytes) => ({ datacontenttype: 'application/octet-stream', data: Buffer.from(bytes) })),
)

/** Any CloudEvent the codecs must carry unchanged: foreign types, arbitrary extensions, JSON, text or bytes. */
export const cloudEventRecordArb: fc.Arbitrary<CloudEventRecord> = fc
  .record(
    {
      id: text,
      source: text,
      type: text,
      subject: text,
      time: isoTime,
      dataschema: fc.webUrl(),
      body: dataArb,
      extensions: fc.dictionary(extensionName, fc.string({ unit: 'grapheme', maxLength: 20 }), {
        maxKeys: 4,
      }),
    },
    { requiredKeys: ['id', 'source', 'type'] },
  )
  .map(({ body, extensions, ...attributes }) => ({
    ...extensions,
    specversion: '1.0',
    ...attributes,
    ...(body ?? {}),
  }))
