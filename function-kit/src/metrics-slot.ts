// Where a function's metrics registry is kept for the launcher: a global symbol, because vendor/serve.js
// and build/index.js are separate bundles. No prom-client import here, so the launcher needs none.
export const functionMetricsKey = Symbol.for('taskflow.function-kit.metrics')

type MetricsText = { readonly contentType: string; metrics(): Promise<string> }

/** The registry a function of this process created, if any. */
export function registeredFunctionMetrics(): MetricsText | undefined {
  return (globalThis as { [functionMetricsKey]?: { registry: MetricsText } })[functionMetricsKey]?.registry
}
