import { context, diag, propagation, type TextMapPropagator, trace } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { Telemetry, TelemetrySettings } from '../../platform/src/telemetry/index.ts'
import { logDiagnosticsThrough, tracingOn } from '../../platform/src/telemetry/telemetry.ts'

// A function's OpenTelemetry tracing: the same OTEL_* switch as the Task API (platform/src/telemetry), but
// built from the trace SDK's parts instead of @opentelemetry/sdk-node, which also brings the metrics
// and logs SDKs' exporters, gRPC, Zipkin, B3, instrumentation and declarative config: 16 MB more in
// every function image for what a function never starts (bench/README.md, "Function image contents"). What it does start, as startNodeSdk would
// from the same variables, traces only:
// - exporters from OTEL_TRACES_EXPORTER (default otlp; console; none), OTLP over HTTP
//   (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL http/protobuf, the cluster's, or http/json; the exporters read
//   their own endpoint, headers, timeout and compression variables). gRPC is refused at start with
//   what to set instead: its exporter is not in a function image;
// - batches from OTEL_BSP_*, the sampler from OTEL_TRACES_SAMPLER[_ARG], limits from OTEL_*_LIMIT;
// - W3C trace context and baggage propagation (OTEL_PROPAGATORS: tracecontext, baggage, none);
// - the resource: the SDK's defaults, service.name from OTEL_SERVICE_NAME or the function's name,
//   service.instance.id, host and process attributes, then OTEL_RESOURCE_ATTRIBUTES.
// The SDK's modules are imported only when the settings ask for tracing, so a function without an
// OTLP endpoint (an empty OTEL_EXPORTER_OTLP_ENDPOINT included) loads none of them.

const off: Telemetry = { shutdown: async () => {} }

/** OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL says gRPC, which function images do not carry. */
export class UnsupportedTraceExportError extends Error {
  override readonly name = 'UnsupportedTraceExportError'
}

/** Reads OTEL_* variables the way the SDK does (the SDK's own helpers): the config module checked them. */
type Env = {
  string(name: string): string | undefined
  list(name: string): string[] | undefined
  number(name: string): number | undefined
  /** A number above 0, else unset (the SDK's default). */
  positive(name: string): number | undefined
}

/** Starts tracing when the settings say so; once per process. */
export async function startFunctionTelemetry(
  settings: TelemetrySettings,
  logger: Logger,
): Promise<Telemetry> {
  if (!settings.tracing) return off
  const [core, resources, sdk, { AsyncLocalStorageContextManager }] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
  ])
  const env: Env = {
    string: core.getStringFromEnv,
    list: core.getStringListFromEnv,
    number: core.getNumberFromEnv,
    positive: (name) => {
      const value = core.getNumberFromEnv(name)
      return value !== undefined && value > 0 ? value : undefined
    },
  }
  logDiagnosticsThrough(logger, settings.sdkLogLevel)

  const exporters = await spanExporters(env, sdk)
  const spanProcessors = exporters.map((exporter) =>
    exporter instanceof sdk.ConsoleSpanExporter
      ? new sdk.SimpleSpanProcessor({ exporter })
      : new sdk.BatchSpanProcessor({
          exporter,
          maxQueueSize: env.positive('OTEL_BSP_MAX_QUEUE_SIZE'),
          scheduledDelayMillis: env.positive('OTEL_BSP_SCHEDULE_DELAY'),
          exportTimeoutMillis: env.positive('OTEL_BSP_EXPORT_TIMEOUT'),
          maxExportBatchSize: env.positive('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
        }),
  )
  if (spanProcessors.length === 0) return off

  // OTEL_RESOURCE_ATTRIBUTES over the detectors, except that OTEL_SERVICE_NAME names the service.
  let resource = resources.defaultResource().merge(
    resources.detectResources({
      detectors: [
        resources.hostDetector,
        resources.osDetector,
        resources.processDetector,
        resources.serviceInstanceIdDetector,
        resources.resourceAttributesEnvDetector,
        resources.serviceNameEnvDetector,
      ],
    }),
  )
  if (settings.defaultServiceName !== undefined) {
    resource = resource.merge(
      resources.resourceFromAttributes({ 'service.name': settings.defaultServiceName }),
    )
  }

  const provider = new sdk.TracerProvider({
    resource,
    spanProcessors,
    sampler: sampler(env, sdk),
    spanLimits: {
      attributeCountLimit:
        env.number('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? env.number('OTEL_ATTRIBUTE_COUNT_LIMIT'),
      attributeValueLengthLimit:
        env.number('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
        env.number('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
      eventCountLimit: env.number('OTEL_SPAN_EVENT_COUNT_LIMIT'),
      linkCountLimit: env.number('OTEL_SPAN_LINK_COUNT_LIMIT'),
    },
  })
  const contextManager = new AsyncLocalStorageContextManager()
  contextManager.enable()
  context.setGlobalContextManager(contextManager)
  const propagators = propagatorsOf(env, core)
  if (propagators.length > 0) {
    propagation.setGlobalPropagator(new core.CompositePropagator({ propagators }))
  }
  trace.setGlobalTracerProvider(provider)
  return tracingOn(provider, logger)
}

type Sdk = typeof import('@opentelemetry/sdk-trace')
type Core = typeof import('@opentelemetry/core')

async function spanExporters(env: Env, sdk: Sdk): Promise<import('@opentelemetry/sdk-trace').SpanExporter[]> {
  const names = [...new Set(env.list('OTEL_TRACES_EXPORTER') ?? [])]
  if (names.includes('none')) return []
  const exporters = []
  for (const name of names.length === 0 ? ['otlp'] : names) {
    if (name === 'console') exporters.push(new sdk.ConsoleSpanExporter())
    if (name !== 'otlp') continue
    const protocol =
      env.string('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
      env.string('OTEL_EXPORTER_OTLP_PROTOCOL') ??
      'http/protobuf'
    if (protocol === 'http/json') {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
      exporters.push(new OTLPTraceExporter())
    } else if (protocol === 'http/protobuf') {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto')
      exporters.push(new OTLPTraceExporter())
    } else {
      throw new UnsupportedTraceExportError(
        `OTEL_EXPORTER_OTLP_PROTOCOL ${protocol}: a function exports its traces over OTLP/HTTP; ` +
          'set http/protobuf (an OpenTelemetry Collector serves it on port 4318) or http/json',
      )
    }
  }
  return exporters
}

function sampler(env: Env, sdk: Sdk): import('@opentelemetry/sdk-trace').Sampler | undefined {
  const ratio = () => {
    const arg = env.number('OTEL_TRACES_SAMPLER_ARG')
    return arg !== undefined && arg >= 0 && arg <= 1 ? arg : 1
  }
  switch (env.string('OTEL_TRACES_SAMPLER')) {
    case 'always_on':
      return new sdk.AlwaysOnSampler()
    case 'always_off':
      return new sdk.AlwaysOffSampler()
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() })
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() })
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio())
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio()) })
    default:
      return undefined
  }
}

function propagatorsOf(env: Env, core: Core): TextMapPropagator[] {
  const names = env.list('OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage']
  if (names.includes('none')) return []
  return [...new Set(names.length === 0 ? ['tracecontext', 'baggage'] : names)].flatMap((name) => {
    if (name === 'tracecontext') return [new core.W3CTraceContextPropagator()]
    if (name === 'baggage') return [new core.W3CBaggagePropagator()]
    diag.warn(`OTEL_PROPAGATORS: "${name}" is not in a function image (tracecontext, baggage, none)`)
    return []
  })
}
