// OpenTelemetry tracing. The code makes its spans through @opentelemetry/api alone (a server span per
// request, a producer span per Kafka send); this registers the SDK that records and exports them when
// the standard OTEL_* variables ask for it, as the cluster's shared config does (OTEL_EXPORTER_OTLP_*).
//
// Switched on by an exporter: OTEL_TRACES_EXPORTER, or an OTLP endpoint without it (the SDK's default
// exporter is otlp). Without either the SDK is not loaded at all: the api's no-op tracer costs nothing,
// and a laptop without a collector does not log a failed export every five seconds. OTEL_SDK_DISABLED
// turns it off whatever else is set. Everything else (protocol, headers, sampler, batch sizes, resource
// attributes, propagators) is read by the SDK itself from its standard variables.
//
// Traces only: the API's metrics are Prometheus at /metrics and its logs JSON on stdout (pino, with
// trace_id and span_id), so no OpenTelemetry meter or logger provider is started beside them.
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api'
import type { Logger } from 'pino'
import { z } from 'zod'

export type TelemetrySettings = {
  /** Whether the SDK starts (see above). */
  tracing: boolean
  /** service.name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
  defaultServiceName: string | undefined
  /** OTEL_LOG_LEVEL: the SDK's own diagnostics, written through the process logger. */
  sdkLogLevel: string
}

// An empty variable (a ConfigMap key left blank) is unset.
const unsetWhenBlank = (value: unknown) => {
  if (typeof value !== 'string') return value
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}
const otlpEndpoint = z.preprocess(unsetWhenBlank, z.url({ protocol: /^https?$/ }).optional())
const otlpProtocol = z.preprocess(unsetWhenBlank, z.enum(['grpc', 'http/protobuf', 'http/json']).optional())
const lowerCase = (value: unknown) => {
  const unset = unsetWhenBlank(value)
  return typeof unset === 'string' ? unset.toLowerCase() : unset
}

/**
 * The OTEL_* variables that decide whether and how the SDK starts, for a process's env schema (the API's
 * and each function's): checked at start, so a typo fails the start instead of silently exporting
 * nothing. The SDK reads them, and its other OTEL_* variables, itself.
 */
export const telemetryVariables = {
  OTEL_SDK_DISABLED: z.preprocess(lowerCase, z.enum(['true', 'false']).optional()),
  OTEL_TRACES_EXPORTER: z.preprocess(
    unsetWhenBlank,
    z
      .string()
      .regex(/^(otlp|console|none)(,(otlp|console|none))*$/, 'otlp, console or none (comma-separated)')
      .optional(),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_SERVICE_NAME: z.preprocess(unsetWhenBlank, z.string().optional()),
  OTEL_RESOURCE_ATTRIBUTES: z.preprocess(unsetWhenBlank, z.string().optional()),
  OTEL_LOG_LEVEL: z.preprocess(
    lowerCase,
    z.enum(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']).default('info'),
  ),
}

type TelemetryVariables = z.output<z.ZodObject<typeof telemetryVariables>>

/** What a parsed env says; `serviceName` names the process when its OTEL_* variables do not. */
export function telemetrySettingsOf(env: TelemetryVariables, serviceName: string): TelemetrySettings {
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',') ?? []
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT
  const asked = exporters.length > 0 ? !exporters.includes('none') : endpoint !== undefined
  const named =
    env.OTEL_SERVICE_NAME !== undefined ||
    (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').some((pair) => pair.trim().startsWith('service.name='))
  return {
    tracing: env.OTEL_SDK_DISABLED !== 'true' && asked,
    defaultServiceName: named ? undefined : serviceName,
    sdkLogLevel: env.OTEL_LOG_LEVEL,
  }
}

export type Telemetry = {
  /** Exports the spans still buffered and stops the SDK (a no-op when tracing is off). */
  shutdown(): Promise<void>
}

const off: Telemetry = { shutdown: async () => {} }

/** Starts the SDK when the settings say so; once per process (or worker thread). */
export async function startTelemetry(settings: TelemetrySettings, logger: Logger): Promise<Telemetry> {
  if (!settings.tracing) return off
  // Loaded only when tracing is on: the SDK and its exporters are most of the API's dependencies by size.
  const { startNodeSdk } = await import('@opentelemetry/sdk-node')
  const sdk = startNodeSdk({
    logLevel: settings.sdkLogLevel,
    metricReaders: [],
    logRecordProcessors: [],
    ...(settings.defaultServiceName === undefined
      ? {}
      : { resourceAttributes: { 'service.name': settings.defaultServiceName } }),
  })
  // startNodeSdk writes its diagnostics with console.log; this process logs JSON lines only.
  logDiagnosticsThrough(logger, settings.sdkLogLevel)
  return tracingOn(sdk, logger)
}

/** The SDK's own diagnostics through the process logger (JSON lines), at OTEL_LOG_LEVEL. */
export function logDiagnosticsThrough(logger: Logger, sdkLogLevel: string): void {
  diag.setLogger(diagThrough(logger.child({ component: 'opentelemetry' })), {
    logLevel: diagLevel(sdkLogLevel),
    suppressOverrideMessage: true,
  })
}

/** A started SDK as a Telemetry: its shutdown flushes the buffered spans, a failure is logged, not thrown. */
export function tracingOn(sdk: { shutdown(): Promise<void> }, logger: Logger): Telemetry {
  logger.info('OpenTelemetry tracing on (OTEL_* settings)')
  return {
    async shutdown() {
      try {
        await sdk.shutdown()
      } catch (error) {
        logger.warn({ err: error }, 'OpenTelemetry shutdown failed; buffered spans may be lost')
      }
    },
  }
}

function diagThrough(logger: Logger): DiagLogger {
  return {
    error: (message, ...args) => logger.error({ args }, message),
    warn: (message, ...args) => logger.warn({ args }, message),
    info: (message, ...args) => logger.info({ args }, message),
    debug: (message, ...args) => logger.debug({ args }, message),
    verbose: (message, ...args) => logger.trace({ args }, message),
  }
}

/** OTEL_LOG_LEVEL's names (telemetryVariables checked it is one of them). */
const diagLevels: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
}

function diagLevel(name: string): DiagLogLevel {
  return diagLevels[name] ?? DiagLogLevel.INFO
}
