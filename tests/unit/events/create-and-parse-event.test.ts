import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { CloudEvent, HTTP } from 'cloudevents'
import fc from 'fast-check'
import { validate as isUuid, version as uuidVersion } from 'uuid'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CodecError,
  createEvent,
  EventDataError,
  EventTypes,
  httpCodec,
  maxAttributeBytes,
  parseEvent,
  traceContextOf,
} from '../../../events/src/index.ts'
import { taskflowEventArb, taskSnapshotArb } from '../../support/event-arbitraries.ts'
import { AsyncLocalStorageContextManager } from '../../support/otel-context-manager.ts'

const task = fc.sample(taskSnapshotArb, { numRuns: 1, seed: 7 })[0]!

describe('createEvent', () => {
  afterEach(() => context.disable())

  it('fills the envelope: UUIDv7 id, ISO time, versioned dataschema, subject and partitionkey from the task id', () => {
    const event = createEvent({
      type: EventTypes.TaskCreated,
      source: '/taskflow/api',
      data: { task },
      actor: 'ann',
      correlationId: 'c-1',
    })
    expect(isUuid(event.id) && uuidVersion(event.id)).toBe(7)
    expect(new Date(event.time).toISOString()).toBe(event.time)
    expect(event).toMatchObject({
      specversion: '1.0',
      datacontenttype: 'application/json',
      dataschema: 'https://schemas.taskflow.dev/events/dev.taskflow.task.created/v1.json',
      subject: task.id,
      partitionkey: task.id,
      actor: 'ann',
      correlationid: 'c-1',
    })
    expect(event.traceparent).toBeUndefined()
  })

  it('keys reminder and notification events by their task too', () => {
    const reminder = createEvent({
      type: EventTypes.ReminderDue,
      source: '/taskflow/reminders',
      data: {
        taskId: task.id,
        title: 't',
        remindAt: task.createdAt,
        dueAt: null,
        assignee: null,
        watchers: [],
        createdBy: 'bob',
      },
    })
    expect(reminder.partitionkey).toBe(task.id)
  })

  it('takes explicit id, time, subject and partition key', () => {
    const event = createEvent({
      type: EventTypes.TaskDeleted,
      source: 's',
      data: { task },
      id: 'fixed',
      time: '2030-01-01T10:00:00+02:00',
      subject: 'sub',
      partitionKey: 'pk',
    })
    expect(event).toMatchObject({
      id: 'fixed',
      time: '2030-01-01T08:00:00.000Z',
      subject: 'sub',
      partitionkey: 'pk',
    })
  })

  it('throws an EventDataError naming the invalid field', () => {
    const attempt = (data: unknown) => () =>
      createEvent({ type: EventTypes.TaskCompleted, source: 's', data: data as never })
    expect(attempt({ task: { ...task, status: 'open' }, completedAt: task.createdAt })).toThrow(
      expect.objectContaining({ name: 'EventDataError', field: 'data.task.status' }),
    )
    expect(attempt({ task: { ...task, status: 'done' } })).toThrow(
      expect.objectContaining({ field: 'data.completedAt' }),
    )
    const noChanges = () =>
      createEvent({ type: EventTypes.TaskUpdated, source: 's', data: { task, changes: {} } })
    expect(noChanges).toThrow(EventDataError)
    expect(() => createEvent({ type: EventTypes.TaskCreated, source: '', data: { task } })).toThrow(
      expect.objectContaining({ field: 'source' }),
    )
  })

  it('carries the active span as W3C traceparent/tracestate, and a consumer continues from it', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager())
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: { serialize: () => 'vendor=abc' } as never,
    }
    const event = context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () =>
      createEvent({ type: EventTypes.TaskCreated, source: 's', data: { task } }),
    )
    expect(event.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    expect(event.tracestate).toBe('vendor=abc')
    expect(trace.getSpanContext(traceContextOf(event, ROOT_CONTEXT))).toMatchObject({
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      isRemote: true,
    })
  })
})

describe('parseEvent', () => {
  it('accepts every event createEvent builds', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        expect(parseEvent(event)).toEqual({ ok: true, value: event })
      }),
    )
  })

  it('refuses a type that is not ours', () => {
    const result = parseEvent({
      specversion: '1.0',
      id: '1',
      source: 's',
      type: 'dev.knative.kafka.event',
      data: {},
    })
    expect(!result.ok && result.error).toMatchObject({ code: 'unknown-type', field: 'type' })
  })

  it('refuses data that does not match the type, naming the field', () => {
    fc.assert(
      fc.property(taskflowEventArb, (event) => {
        const result = parseEvent({ ...event, data: { ...event.data, task: 42, taskId: 42 } })
        expect(result.ok).toBe(false)
        expect(!result.ok && result.error).toBeInstanceOf(CodecError)
        expect(!result.ok && result.error.code).toBe('schema-mismatch')
        expect(!result.ok && result.error.field).toMatch(/^data\.(task|taskId)$/)
      }),
    )
  })

  it('refuses another major version of the data schema and a non-JSON content type', () => {
    const event = createEvent({ type: EventTypes.TaskCreated, source: 's', data: { task } })
    const v2 = parseEvent({
      ...event,
      dataschema: 'https://schemas.taskflow.dev/events/dev.taskflow.task.created/v2.json',
    })
    expect(!v2.ok && v2.error).toMatchObject({ code: 'schema-mismatch', field: 'dataschema' })
    const xml = parseEvent({ ...event, datacontenttype: 'application/xml' } as never)
    expect(!xml.ok && xml.error).toMatchObject({ code: 'invalid-attribute', field: 'datacontenttype' })
  })

  it('refuses an attribute longer than maxAttributeBytes of UTF-8, naming it (consumers index and re-emit them)', () => {
    const event = createEvent({ type: EventTypes.TaskCreated, source: 's', data: { task } })
    for (const name of ['id', 'source', 'correlationid', 'actor']) {
      expect(parseEvent({ ...event, [name]: 'x'.repeat(maxAttributeBytes) }).ok, name).toBe(true)
      const tooLong = parseEvent({ ...event, [name]: 'x'.repeat(maxAttributeBytes + 1) })
      expect(!tooLong.ok && tooLong.error, name).toMatchObject({ code: 'invalid-attribute', field: name })
    }
    // Bytes, not characters: 513 two-byte characters are 1026 bytes.
    expect(parseEvent({ ...event, id: 'é'.repeat(maxAttributeBytes / 2 + 1) }).ok).toBe(false)
  })

  it('drops unknown data fields, so producers may add optional fields first (tolerant reader)', () => {
    const event = createEvent({ type: EventTypes.TaskCreated, source: 's', data: { task } })
    const result = parseEvent({ ...event, data: { task: { ...task, colour: 'red' }, extra: 1 } })
    expect(result).toEqual({ ok: true, value: event })
  })

  it('reads events the cloudevents SDK decoded (what faas-js-runtime hands a function)', () => {
    // ASCII attributes only: cloudevents SDK 10 does not percent-decode ce-* headers (binding 3.1.3.2),
    // so a non-ASCII attribute reaches an SDK-decoding function still encoded (see events/README.md).
    const event = createEvent({
      type: EventTypes.TaskCreated,
      source: '/taskflow/api',
      data: { task },
      actor: 'ann',
    })
    for (const mode of ['binary', 'structured'] as const) {
      const message = httpCodec.encode(event, { mode })
      const sdkEvent = HTTP.toEvent({ headers: message.headers, body: message.body }) as CloudEvent<unknown>
      expect(parseEvent(sdkEvent as never)).toEqual({ ok: true, value: event })
    }
  })

  it('reads events the cloudevents SDK encoded', () => {
    const event = createEvent({ type: EventTypes.TaskCreated, source: '/taskflow/api', data: { task } })
    for (const message of [
      HTTP.binary(new CloudEvent({ ...event })),
      HTTP.structured(new CloudEvent({ ...event })),
    ]) {
      const decoded = httpCodec.decode({
        headers: message.headers as Record<string, string>,
        body: message.body as string,
      })
      expect(decoded.ok && parseEvent(decoded.value)).toEqual({ ok: true, value: event })
    }
  })
})
