import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { traceContextOf } from '../../events/src/index.ts'
import type { FunctionContext } from './invocation.ts'
import type { FunctionResponse } from './outcome.ts'

// A span per invocation, so a function's work joins the trace of what caused it: the Task API's
// request, through the event's traceparent (the CloudEvents distributed-tracing extension, which the
// KafkaSource carries over from the record's ce_traceparent header). A CloudEvent is a CONSUMER span
// whose parent is the producer's span; a plain HTTP request (a read the API forwards) is a SERVER span
// continuing the request's traceparent header. The handler runs inside the span, so the events it
// emits (createEvent reads the active span) carry the same trace on. Without an OpenTelemetry SDK
// (telemetry.ts) the tracer is the api's no-op one, and so is all of this.

const tracer = trace.getTracer('taskflow-function')

/** What faas-js-runtime hands a function for a CloudEvent: its attributes, extensions included. */
type IncomingCloudEvent = {
  readonly id?: unknown
  readonly type?: unknown
  readonly source?: unknown
  readonly subject?: unknown
  readonly traceparent?: unknown
  readonly tracestate?: unknown
}

const headerGetter = {
  keys: (carrier: FunctionContext['headers']) => Object.keys(carrier),
  get: (carrier: FunctionContext['headers'], key: string) => carrier[key],
}

/** Runs `handle` inside the invocation's span and ends the span with the response's status. */
export async function traceInvocation(
  fn: string,
  invocation: FunctionContext,
  cloudevent: object | undefined,
  handle: () => Promise<FunctionResponse>,
): Promise<FunctionResponse> {
  // What faas-js-runtime received decides, not the argument's shape: a user's JSON body may have a
  // `type` too. Binary mode carries ce-* headers, structured mode its own media type.
  const contentType = String(invocation.headers['content-type'] ?? '')
  const received =
    invocation.headers['ce-type'] !== undefined || contentType.startsWith('application/cloudevents')
  const event = received ? (cloudevent as IncomingCloudEvent | undefined) : undefined
  const isEvent = event !== undefined && typeof event.type === 'string'
  const parent = isEvent
    ? traceContextOf(event, ROOT_CONTEXT)
    : propagation.extract(ROOT_CONTEXT, invocation.headers, headerGetter)
  const span = isEvent
    ? tracer.startSpan(
        `process ${String(event.type)}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'faas.trigger': 'pubsub',
            'faas.name': fn,
            'cloudevents.event_id': String(event.id ?? ''),
            'cloudevents.event_type': String(event.type),
            'cloudevents.event_source': String(event.source ?? ''),
            ...(typeof event.subject === 'string' ? { 'cloudevents.event_subject': event.subject } : {}),
          },
        },
        parent,
      )
    : tracer.startSpan(
        `${invocation.method ?? 'GET'} ${fn}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'faas.trigger': 'http',
            'faas.name': fn,
            'http.request.method': invocation.method ?? 'GET',
          },
        },
        parent,
      )
  try {
    const response = await context.with(trace.setSpan(parent, span), handle)
    const status = response.statusCode
    span.setAttribute('http.response.status_code', status)
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
    return response
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setStatus({ code: SpanStatusCode.ERROR })
    throw error
  } finally {
    span.end()
  }
}
