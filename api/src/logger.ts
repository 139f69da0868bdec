import { trace } from '@opentelemetry/api'
import { type Logger, pino } from 'pino'

/**
 * JSON logs; every line written inside a traced request carries trace_id/span_id of the active span
 * (nothing when no OpenTelemetry SDK is registered), so logs and traces join up.
 */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'taskflow-api',
    level: options.level,
    mixin() {
      const span = trace.getActiveSpan()
      if (span === undefined) return {}
      const { traceId, spanId } = span.spanContext()
      return { trace_id: traceId, span_id: spanId }
    },
  })
}
