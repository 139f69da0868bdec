import type { Logger } from 'pino'
import type { Telemetry, TelemetrySettings } from '../../platform/src/telemetry/index.ts'
import type { FunctionContext } from './invocation.ts'
import { functionMetrics } from './metrics.ts'
import type { FunctionResponse } from './outcome.ts'
import { startFunctionTelemetry } from './telemetry.ts'
import { traceInvocation } from './tracing.ts'

/** What a function implements: faas-js-runtime's three entry points, before tracing. */
export type FunctionImplementation = {
  init(): Promise<void>
  shutdown(): Promise<void>
  handle(context: FunctionContext, cloudeventOrBody?: unknown): Promise<FunctionResponse>
}

/** A fastify route handler, as faas-js-runtime mounts a module's `readiness` and `liveness` exports. */
export type HealthHandler = (
  request: unknown,
  reply: { header(name: string, value: string): unknown },
) => string

/**
 * The health endpoints (/health/readiness, /health/liveness): 200 once init() is done, which it is
 * whenever the runtime listens. faas-js-runtime's own answers 503 whenever the event loop lags more
 * than 42 ms (overload-protection), and 4.0.1 then throws on it: a busy pod would leave Knative's
 * rotation exactly when the autoscaler needs it.
 */
const healthy: HealthHandler = (_request, reply) => {
  reply.header('content-type', 'text/plain; charset=utf-8')
  return 'OK'
}

/**
 * The exports of a function's entry module (`export const { init, shutdown, handle, readiness, liveness } = ...`), as
 * faas-js-runtime calls them: init() before it listens, handle() per request, shutdown() on SIGTERM.
 * Adds what every function does around its own: the event metrics, and when the OTEL_* variables ask
 * for tracing, the OpenTelemetry SDK started first and stopped last and a span per invocation.
 */
export function functionEntry(
  name: string,
  settings: { telemetry: TelemetrySettings; logger: Logger },
  implementation: FunctionImplementation,
): FunctionImplementation & { readiness: HealthHandler; liveness: HealthHandler } {
  let telemetry: Telemetry | undefined
  const metrics = functionMetrics(name)
  const traced: FunctionImplementation['handle'] = settings.telemetry.tracing
    ? (context, cloudeventOrBody) =>
        traceInvocation(name, context, cloudeventOrBody as object | undefined, () =>
          implementation.handle(context, cloudeventOrBody),
        )
    : (context, cloudeventOrBody) => implementation.handle(context, cloudeventOrBody)
  return {
    readiness: healthy,
    liveness: healthy,
    async init() {
      telemetry = await startFunctionTelemetry(settings.telemetry, settings.logger)
      await implementation.init()
    },
    async shutdown() {
      await implementation.shutdown()
      await telemetry?.shutdown()
    },
    // Known at start: without tracing, invocations go straight through (no no-op spans per call).
    // Events (not the HTTP reads) are counted by type and outcome.
    async handle(context, cloudeventOrBody) {
      const eventType = cloudEventType(cloudeventOrBody)
      if (eventType === undefined) return traced(context, cloudeventOrBody)
      const started = performance.now()
      let status = 500
      try {
        const response = await traced(context, cloudeventOrBody)
        status = response.statusCode
        return response
      } finally {
        metrics.observeEvent(eventType, status, (performance.now() - started) / 1000)
      }
    },
  }
}

/** The type of the CloudEvent faas-js-runtime decoded for this request; undefined for a plain HTTP call. */
function cloudEventType(cloudeventOrBody: unknown): string | undefined {
  if (typeof cloudeventOrBody !== 'object' || cloudeventOrBody === null) return undefined
  const { specversion, type } = cloudeventOrBody as { specversion?: unknown; type?: unknown }
  return typeof specversion === 'string' && typeof type === 'string' ? type : undefined
}
