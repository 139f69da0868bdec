import type { z } from 'zod'
import type { TaskflowEvent } from './event.ts'
import { type EventData, eventDataSchemas } from './event-data-schemas.ts'
import { dataSchemaUri, type EventType, isEventType } from './event-types.ts'
import { activeTraceContext } from './trace-context.ts'
import { uuidv7 } from './uuid-v7.ts'

/** A producer bug: the data (or an attribute) does not satisfy the event type's contract. */
export class EventDataError extends Error {
  readonly field: string
  readonly issues: readonly z.core.$ZodIssue[]

  constructor(field: string, message: string, issues: readonly z.core.$ZodIssue[] = []) {
    super(`${field}: ${message}`)
    this.name = 'EventDataError'
    this.field = field
    this.issues = issues
  }
}

export type CreateEventInput<T extends EventType> = {
  type: T
  source: string
  subject?: string
  data: EventData<T>
  actor?: string
  correlationId?: string
  causationId?: string
  partitionKey?: string
  id?: string
  time?: Date | string
}

/** `data.task`, e.g. `data.task.status`: the field a zod issue points at, as a dotted path. */
export function issuePath(prefix: string, issue: z.core.$ZodIssue): string {
  return [prefix, ...issue.path.map(String)].join('.')
}

/**
 * The subject of every task event is the task id, so `partitionkey` (which defaults to it) keeps all
 * events of one task in one partition and consumers see them in order.
 */
function taskIdOf(data: unknown): string | undefined {
  const value = data as { task?: { id?: unknown }; taskId?: unknown }
  const id = value.task?.id ?? value.taskId
  return typeof id === 'string' ? id : undefined
}

export function createEvent<T extends EventType>(input: CreateEventInput<T>): TaskflowEvent<T> {
  if (!isEventType(input.type))
    throw new EventDataError('type', `${String(input.type)} is not a taskflow event type`)
  if (typeof input.source !== 'string' || input.source === '')
    throw new EventDataError('source', 'must be a non-empty URI-reference')
  const parsed = eventDataSchemas[input.type].safeParse(input.data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new EventDataError(issuePath('data', issue), issue.message, parsed.error.issues)
  }
  const time = input.time === undefined ? new Date() : new Date(input.time)
  if (Number.isNaN(time.getTime())) throw new EventDataError('time', 'is not a valid date')
  const subject = input.subject ?? taskIdOf(parsed.data)
  const partitionkey = input.partitionKey ?? subject
  const event: TaskflowEvent<T> = {
    specversion: '1.0',
    id: input.id ?? uuidv7(),
    source: input.source,
    type: input.type,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(input.type),
    data: parsed.data as EventData<T>,
  }
  if (subject !== undefined) event.subject = subject
  if (partitionkey !== undefined) event.partitionkey = partitionkey
  if (input.correlationId !== undefined) event.correlationid = input.correlationId
  if (input.causationId !== undefined) event.causationid = input.causationId
  if (input.actor !== undefined) event.actor = input.actor
  const trace = activeTraceContext()
  if (trace.traceparent !== undefined) event.traceparent = trace.traceparent
  if (trace.tracestate !== undefined) event.tracestate = trace.tracestate
  return event
}
