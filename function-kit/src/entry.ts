import type { Logger } from 'pino'
import type { Telemetry, TelemetrySettings } from '../../api/src/telemetry/index.ts'
import type { FunctionContext } from './invocation.ts'
import type { FunctionResponse } from './outcome.ts'
import { startFunctionTelemetry } from './telemetry.ts'
import { traceInvocation } from './tracing.ts'

/** What a function implements: faas-js-runtime's three entry points, before tracing. */
export type FunctionImplementation = {
  init(): Promise<void>
  shutdown(): Promise<void>
  handle(context: FunctionContext, cloudeventOrBody?: unknown): Promise<FunctionResponse>
}

/**
 * The exports of a function's entry module (`export const { init, shutdown, handle } = ...`), as
 * faas-js-runtime calls them: init() before it listens, handle() per request, shutdown() on SIGTERM.
 * Adds what every function does around its own when the OTEL_* variables ask for tracing: the
 * OpenTelemetry SDK started first and stopped last, and a span per invocation (tracing.ts).
 */
export function functionEntry(
  name: string,
  settings: { telemetry: TelemetrySettings; logger: Logger },
  implementation: FunctionImplementation,
): FunctionImplementation {
  let telemetry: Telemetry | undefined
  return {
    async init() {
      telemetry = await startFunctionTelemetry(settings.telemetry, settings.logger)
      await implementation.init()
    },
    async shutdown() {
      await implementation.shutdown()
      await telemetry?.shutdown()
    },
    // Known at start: without tracing, invocations go straight through (no no-op spans per call).
    handle: settings.telemetry.tracing
      ? (context, cloudeventOrBody) =>
          traceInvocation(name, context, cloudeventOrBody as object | undefined, () =>
            implementation.handle(context, cloudeventOrBody),
          )
      : (context, cloudeventOrBody) => implementation.handle(context, cloudeventOrBody),
  }
}
