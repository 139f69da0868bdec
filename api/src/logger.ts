import { trace } from '@opentelemetry/api'
import { type DestinationStream, type Logger, pino } from 'pino'
import { logRedaction } from '../../platform/src/auth/index.ts'

/**
 * JSON logs; every line written inside a traced request carries trace_id/span_id of the active span
 * (nothing when no OpenTelemetry SDK is registered), so logs and traces join up. Credentials are
 * redacted (auth/log-redaction.ts). `destination` defaults to stdout.
 */
export function createLogger(options: {
  level: string
  name?: string
  destination?: DestinationStream
}): Logger {
  return pino(
    {
      name: options.name ?? 'taskflow-api',
      level: options.level,
      redact: logRedaction,
      mixin() {
        const span = trace.getActiveSpan()
        if (span === undefined) return {}
        const { traceId, spanId } = span.spanContext()
        return { trace_id: traceId, span_id: spanId }
      },
    },
    options.destination,
  )
}
