import {
  type Context,
  context,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api'

// The CloudEvents distributed-tracing extension defines `traceparent`/`tracestate` as W3C Trace Context,
// whatever propagator the process configured (B3, Jaeger...). @opentelemetry/api ships no propagator
// (it lives in @opentelemetry/core, which the contract should not pull in), so this small one writes
// and reads that format through the api's propagation interfaces.

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

export class W3CTraceContextPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx)
    if (!spanContext || !isSpanContextValid(spanContext)) return
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0')
    setter.set(carrier, 'traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`)
    const state = spanContext.traceState?.serialize()
    if (state) setter.set(carrier, 'tracestate', state)
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'traceparent')
    const traceparent = Array.isArray(header) ? header[0] : header
    const match = traceparent ? traceparentPattern.exec(traceparent) : null
    if (!match) return ctx
    const spanContext: SpanContext = {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: Number.parseInt(match[3]!, 16),
      isRemote: true,
    }
    if (!isSpanContextValid(spanContext)) return ctx
    return trace.setSpanContext(ctx, spanContext)
  }

  fields(): string[] {
    return ['traceparent', 'tracestate']
  }
}

const propagator = new W3CTraceContextPropagator()

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value
  },
}

const recordGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key]
    return typeof value === 'string' ? value : undefined
  },
}

/** `traceparent`/`tracestate` of the active span; empty when no span is active (no OpenTelemetry SDK). */
export function activeTraceContext(): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {}
  propagator.inject(context.active(), carrier, recordSetter)
  return carrier
}

/** A context whose parent is the event's producer span, for a consumer to start its span in. */
export function traceContextOf(
  event: { traceparent?: unknown; tracestate?: unknown },
  base: Context = context.active(),
): Context {
  return propagator.extract(base, event, recordGetter)
}
