import {
  type CloudEventRecord,
  type CodecError,
  parseEvent,
  type TaskflowEvent,
} from '../../events/src/index.ts'
import { type Outcome, rejected, unprocessable } from './outcome.ts'

// Turning what faas-js-runtime hands to `handle` into our contract's types.

export type IncomingEvent =
  | { readonly ok: true; readonly event: TaskflowEvent }
  | { readonly ok: false; readonly outcome: Outcome }

/**
 * faas-js-runtime bundles its own cloudevents SDK (v8) and hands a CloudEvent instance whose
 * attributes and extensions are own properties and whose `data` is already parsed for JSON.
 */
export function recordOf(cloudevent: object): CloudEventRecord {
  const record = { ...(cloudevent as Record<string, unknown>) }
  if (!('data' in record)) record.data = (cloudevent as { data?: unknown }).data
  return record as CloudEventRecord
}

/** Decodes one of our events; an unknown type answers 400, data failing its schema 422. */
export function decodeTaskflowEvent(cloudevent: object): IncomingEvent {
  const parsed = parseEvent(recordOf(cloudevent))
  if (parsed.ok) return { ok: true, event: parsed.value }
  return { ok: false, outcome: outcomeOfCodecError(parsed.error) }
}

export function outcomeOfCodecError(error: CodecError): Outcome {
  const detail = error.field === undefined ? undefined : [{ field: error.field, message: error.message }]
  return error.code === 'schema-mismatch'
    ? unprocessable(error.message, detail)
    : rejected(error.message, detail)
}

export {
  type CloudEventRecord,
  type EventType,
  EventTypes,
  type TaskflowEvent,
} from '../../events/src/index.ts'
