// The typed view of the system's YAML, the one source of truth: the cluster applies these files and the
// local runtime reads its topics, consumer groups, delivery and scaling settings from them through this
// module (nobody else parses the YAML by hand).
//
// Defaults are the ones Knative applies (eventing-kafka-broker's KafkaSource, Knative Serving's KPA),
// so a setting that is absent means locally what it means on a cluster.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'
import {
  type DeliveryPolicy,
  knativeDefaultDeliveryPolicy,
  knativeDeliveryFieldDefaults,
} from '../../platform/src/knative-delivery.ts'
import { renderKustomization } from './kustomize.ts'

// ---- Errors ----

/** Bad YAML or a manifest that does not fit the expected shape: every problem, with file and path. */
export class ManifestError extends Error {
  readonly file: string
  readonly issues: string[]
  constructor(file: string, issues: string[]) {
    super(`${file}: ${issues.join('; ')}`)
    this.name = 'ManifestError'
    this.file = file
    this.issues = issues
  }
}

// ---- ISO-8601 durations (Knative's delivery.backoffDelay, delivery.timeout) ----

const durationPattern =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string }

/**
 * Parses an ISO-8601 duration such as `PT0.5S`, `PT10M` or `P1D` to milliseconds. Years and months are
 * refused: their length depends on the calendar, and no delivery setting needs them.
 */
export function parseIsoDuration(text: string): DurationResult {
  const match = durationPattern.exec(text)
  if (match === null || text === 'P' || text.endsWith('T')) {
    const calendar = /^P(\d+Y|\d+M)/.test(text) ? ' (years and months have no fixed length)' : ''
    return { ok: false, reason: `"${text}" is not an ISO-8601 duration like PT0.5S${calendar}` }
  }
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = ((((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000
  return { ok: true, ms: Math.round(ms) }
}

const isoDuration = z.string().transform((text, ctx) => {
  const parsed = parseIsoDuration(text)
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason })
    return z.NEVER
  }
  return parsed.ms
})

// ---- Shared pieces ----

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name')
const metadataSchema = z.object({
  name: dnsName,
  namespace: dnsName.optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
})

const destinationSchema = z
  .object({
    ref: z
      .object({ apiVersion: z.string(), kind: z.string(), name: dnsName, namespace: dnsName.optional() })
      .optional(),
    uri: z.string().min(1).optional(),
    /** The OIDC audience a sender asks its token for (Knative: needed where the sink is no Eventing Addressable). */
    audience: z.string().min(1).optional(),
  })
  .refine((d) => d.ref !== undefined || d.uri !== undefined, 'a destination needs ref or uri')

/** Where events go: an Addressable by reference (namespace defaulted to the holder's) or a URI. */
export type Destination = (
  | { ref: { apiVersion: string; kind: string; name: string; namespace: string }; uri?: string }
  | { ref?: undefined; uri: string }
) & { audience?: string }

function toDestination(value: z.output<typeof destinationSchema>, namespace: string): Destination {
  const audience = value.audience === undefined ? {} : { audience: value.audience }
  if (value.ref !== undefined) {
    const ref = { ...value.ref, namespace: value.ref.namespace ?? namespace }
    return value.uri === undefined ? { ref, ...audience } : { ref, uri: value.uri, ...audience }
  }
  return { uri: value.uri as string, ...audience }
}

const intString = (what: string) =>
  z.string().regex(/^\d+$/, `${what} must be a whole number written as a string`).transform(Number)

// ---- KafkaSource ----

export type DeliverySettings = DeliveryPolicy & {
  deadLetterSink: Destination | undefined
  /** false when `delivery` is absent and these are Knative's defaults for that case. */
  declared: boolean
}

const deliverySchema = z
  .object({
    retry: z.number().int().min(0).optional(),
    backoffPolicy: z.enum(['linear', 'exponential']).optional(),
    backoffDelay: isoDuration.optional(),
    timeout: isoDuration.refine((ms) => ms > 0, 'timeout must be greater than 0').optional(),
    deadLetterSink: destinationSchema.optional(),
    // Accepted (a valid, flag-gated field) but not modelled: the KafkaSource dispatcher does not honour
    // Retry-After.
    retryAfterMax: isoDuration.optional(),
  })
  .strict()

/** KEDA autoscaling of a KafkaSource's consumers (annotations autoscaling.eventing.knative.dev/*). */
export type SourceScaling = {
  minScale: number
  maxScale: number
  lagThreshold: number
  pollingIntervalSeconds: number
  cooldownPeriodSeconds: number
}

const kedaClass = 'keda.autoscaling.knative.dev'
const sourceScalingPrefix = 'autoscaling.eventing.knative.dev/'
// Knative's defaults when the KEDA class is set and an annotation is missing.
const sourceScalingDefaults = {
  'min-scale': 0,
  'max-scale': 50,
  'lag-threshold': 100,
  'polling-interval': 10,
  'cooldown-period': 30,
}

export type KafkaSourceManifest = {
  name: string
  namespace: string
  bootstrapServers: string[]
  topics: string[]
  consumerGroup: string
  initialOffset: 'earliest' | 'latest'
  ordering: 'ordered' | 'unordered'
  consumers: number
  keyType: 'string' | 'int' | 'float' | 'byte-array'
  delivery: DeliverySettings
  sink: Destination
  ceOverrides: Record<string, string>
  /** undefined when the source is not KEDA-scaled (then `consumers` is fixed). */
  scaling: SourceScaling | undefined
  sasl: {
    enabled: boolean
    userSecret: SecretKeyRef | undefined
    passwordSecret: SecretKeyRef | undefined
    typeSecret: SecretKeyRef | undefined
  }
  tls: { enabled: boolean; caCertSecret: SecretKeyRef | undefined }
}

export type SecretKeyRef = { name: string; key: string }
const secretKeyRefSchema = z
  .object({ secretKeyRef: z.object({ name: dnsName, key: z.string().min(1) }) })
  .optional()

const kafkaSourceSchema = z.object({
  apiVersion: z.enum(['sources.knative.dev/v1', 'sources.knative.dev/v1beta1']),
  kind: z.literal('KafkaSource'),
  metadata: metadataSchema,
  spec: z.object({
    bootstrapServers: z.array(z.string().min(1)).min(1),
    topics: z.array(z.string().min(1)).min(1),
    consumerGroup: z.string().min(1).optional(),
    consumers: z.number().int().min(1).default(1),
    initialOffset: z.enum(['earliest', 'latest']).default('latest'),
    ordering: z.enum(['ordered', 'unordered']).default('ordered'),
    delivery: deliverySchema.optional(),
    sink: destinationSchema,
    ceOverrides: z.object({ extensions: z.record(z.string(), z.string()).default({}) }).optional(),
    net: z
      .object({
        sasl: z
          .object({
            enable: z.boolean().default(false),
            user: secretKeyRefSchema,
            password: secretKeyRefSchema,
            type: secretKeyRefSchema,
          })
          .optional(),
        tls: z.object({ enable: z.boolean().default(false), caCert: secretKeyRefSchema }).optional(),
      })
      .optional(),
  }),
})

function toDelivery(
  delivery: z.output<typeof deliverySchema> | undefined,
  namespace: string,
): DeliverySettings {
  if (delivery === undefined)
    return { ...knativeDefaultDeliveryPolicy, deadLetterSink: undefined, declared: false }
  const defaults = knativeDeliveryFieldDefaults
  return {
    retry: delivery.retry ?? defaults.retry,
    backoffPolicy: delivery.backoffPolicy ?? defaults.backoffPolicy,
    backoffDelayMs: delivery.backoffDelay ?? defaults.backoffDelayMs,
    timeoutMs: delivery.timeout ?? defaults.timeoutMs,
    deadLetterSink:
      delivery.deadLetterSink === undefined ? undefined : toDestination(delivery.deadLetterSink, namespace),
    declared: true,
  }
}

function toSourceScaling(annotations: Record<string, string>, issues: string[]): SourceScaling | undefined {
  const scalingClass = annotations[`${sourceScalingPrefix}class`]
  if (scalingClass === undefined) return undefined
  if (scalingClass !== kedaClass) {
    issues.push(`${sourceScalingPrefix}class must be ${kedaClass}, got ${scalingClass}`)
    return undefined
  }
  const read = (key: keyof typeof sourceScalingDefaults): number => {
    const raw = annotations[`${sourceScalingPrefix}${key}`]
    if (raw === undefined) return sourceScalingDefaults[key]
    const parsed = intString(key).safeParse(raw)
    if (!parsed.success) {
      issues.push(`${sourceScalingPrefix}${key}: ${parsed.error.issues[0]?.message}`)
      return sourceScalingDefaults[key]
    }
    return parsed.data
  }
  const scaling = {
    minScale: read('min-scale'),
    maxScale: read('max-scale'),
    lagThreshold: read('lag-threshold'),
    pollingIntervalSeconds: read('polling-interval'),
    cooldownPeriodSeconds: read('cooldown-period'),
  }
  if (scaling.maxScale < Math.max(scaling.minScale, 1))
    issues.push(`max-scale ${scaling.maxScale} is below min-scale or 1`)
  return scaling
}

const toKeyRef = (value: z.output<typeof secretKeyRefSchema>): SecretKeyRef | undefined => value?.secretKeyRef

// ---- PingSource, KafkaSink, SinkBinding ----

export type PingSourceManifest = {
  name: string
  namespace: string
  schedule: string
  /** undefined: the system time zone of the PingSource adapter, as in Knative. */
  timezone: string | undefined
  contentType: string | undefined
  data: string | undefined
  dataBase64: string | undefined
  sink: Destination
}

const pingSourceSchema = z.object({
  apiVersion: z.literal('sources.knative.dev/v1'),
  kind: z.literal('PingSource'),
  metadata: metadataSchema,
  spec: z
    .object({
      schedule: z.string().trim().min(1),
      timezone: z.string().min(1).optional(),
      contentType: z.string().min(1).optional(),
      data: z.string().optional(),
      dataBase64: z.string().optional(),
      sink: destinationSchema,
    })
    .refine(
      (s) => s.data === undefined || s.dataBase64 === undefined,
      'data and dataBase64 are mutually exclusive',
    ),
})

export type KafkaSinkManifest = {
  name: string
  namespace: string
  topic: string
  bootstrapServers: string[]
  contentMode: 'binary' | 'structured'
  authSecret: string | undefined
}

const kafkaSinkSchema = z.object({
  apiVersion: z.literal('eventing.knative.dev/v1alpha1'),
  kind: z.literal('KafkaSink'),
  metadata: metadataSchema,
  spec: z.object({
    topic: z.string().min(1),
    bootstrapServers: z.array(z.string().min(1)).min(1),
    contentMode: z.enum(['binary', 'structured']).default('binary'),
    auth: z.object({ secret: z.object({ ref: z.object({ name: dnsName }) }) }).optional(),
  }),
})

export type SinkBindingManifest = {
  name: string
  namespace: string
  subject: { apiVersion: string; kind: string; name: string; namespace: string }
  sink: Destination
}

const sinkBindingSchema = z.object({
  apiVersion: z.literal('sources.knative.dev/v1'),
  kind: z.literal('SinkBinding'),
  metadata: metadataSchema,
  spec: z.object({
    subject: z.object({
      apiVersion: z.string(),
      kind: z.string(),
      name: dnsName,
      namespace: dnsName.optional(),
    }),
    sink: destinationSchema,
  }),
})

// ---- EventPolicy ----

/** Who may send to which Eventing-owned sink (Knative EventPolicy, eventing.knative.dev/v1alpha1). */
export type EventPolicyManifest = {
  name: string
  namespace: string
  /** Resources the policy applies to, by name; empty: every Eventing-owned sink of its namespace. */
  to: { apiVersion: string; kind: string; name: string }[]
  /** Senders: a resource whose OIDC identity Knative resolves, or a subject (`*` at the end: a prefix). */
  from: ({ ref: { apiVersion: string; kind: string; name: string; namespace: string } } | { sub: string })[]
}

const eventPolicySchema = z.object({
  apiVersion: z.literal('eventing.knative.dev/v1alpha1'),
  kind: z.literal('EventPolicy'),
  metadata: metadataSchema,
  spec: z
    .object({
      to: z
        .array(
          z.object({ ref: z.object({ apiVersion: z.string(), kind: z.string(), name: dnsName }) }).strict(),
        )
        .default([]),
      from: z
        .array(
          z.union([
            z
              .object({
                ref: z.object({
                  apiVersion: z.string(),
                  kind: z.string(),
                  name: dnsName,
                  namespace: dnsName.optional(),
                }),
              })
              .strict(),
            z.object({ sub: z.string().min(1) }).strict(),
          ]),
        )
        .min(1),
    })
    // `to.selector` and `filters` are valid upstream but not emulated: refused rather than ignored.
    .strict(),
})

// ---- KafkaTopic ----

export type TopicManifest = {
  /** The Kafka topic name: spec.topicName, else metadata.name (Strimzi). */
  name: string
  resourceName: string
  cluster: string | undefined
  partitions: number
  replicas: number
  config: Record<string, string | number | boolean>
}

const topicSchema = z.object({
  apiVersion: z.literal('kafka.strimzi.io/v1'),
  kind: z.literal('KafkaTopic'),
  metadata: metadataSchema,
  spec: z.object({
    topicName: z.string().min(1).optional(),
    partitions: z.number().int().min(1),
    replicas: z.number().int().min(1),
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  }),
})

// ---- Knative Service ----

/** Knative Serving's KPA settings of a revision template, with Serving's defaults applied. */
export type ServiceScaling = {
  minScale: number
  /** 0 = unlimited (Knative). */
  maxScale: number
  initialScale: number
  metric: 'concurrency' | 'rps'
  target: number
  targetUtilizationPercentage: number
}

export type ServiceEnvValue = { name: string; value: string } | { name: string; secretKeyRef: SecretKeyRef }

export type ServiceManifest = {
  name: string
  namespace: string
  image: string
  /** 0 = unlimited (Knative). */
  containerConcurrency: number
  scaling: ServiceScaling
  /** Plain values, ConfigMap `envFrom` entries resolved (later sources win, as in Kubernetes). */
  env: Record<string, string>
  /** Values that come from Secrets: referenced, never resolved. */
  secretEnv: { name: string; secretKeyRef: SecretKeyRef }[]
  labels: Record<string, string>
}

const servingPrefix = 'autoscaling.knative.dev/'
const serviceSchema = z.object({
  apiVersion: z.literal('serving.knative.dev/v1'),
  kind: z.literal('Service'),
  metadata: metadataSchema,
  spec: z.object({
    template: z.object({
      metadata: z
        .object({ annotations: z.record(z.string(), z.string()).default({}) })
        .default({ annotations: {} }),
      spec: z.object({
        containerConcurrency: z.number().int().min(0).default(0),
        containers: z
          .array(
            z.object({
              image: z.string().min(1),
              env: z
                .array(
                  z.object({
                    name: z.string().min(1),
                    value: z.string().optional(),
                    valueFrom: z
                      .object({
                        secretKeyRef: z.object({ name: dnsName, key: z.string() }).optional(),
                        configMapKeyRef: z.object({ name: dnsName, key: z.string() }).optional(),
                      })
                      .optional(),
                  }),
                )
                .default([]),
              envFrom: z
                .array(z.object({ configMapRef: z.object({ name: dnsName }).optional() }))
                .default([]),
            }),
          )
          .min(1),
      }),
    }),
  }),
})

function toServiceScaling(annotations: Record<string, string>, issues: string[]): ServiceScaling {
  const number = (key: string, fallback: number): number => {
    const raw = annotations[`${servingPrefix}${key}`]
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
      issues.push(`${servingPrefix}${key}: "${raw}" is not a non-negative number`)
      return fallback
    }
    return value
  }
  const metric = annotations[`${servingPrefix}metric`] ?? 'concurrency'
  if (metric !== 'concurrency' && metric !== 'rps')
    issues.push(`${servingPrefix}metric must be concurrency or rps`)
  // Serving: target 100 for concurrency and 200 for rps when absent; utilization 70 %.
  return {
    minScale: number('min-scale', 0),
    maxScale: number('max-scale', 0),
    initialScale: number('initial-scale', 1),
    metric: metric === 'rps' ? 'rps' : 'concurrency',
    target: number('target', metric === 'rps' ? 200 : 100),
    targetUtilizationPercentage: number('target-utilization-percentage', 70),
  }
}

// ---- Loading ----

export type SystemManifests = {
  kafkaSources: KafkaSourceManifest[]
  pingSources: PingSourceManifest[]
  kafkaSinks: KafkaSinkManifest[]
  sinkBindings: SinkBindingManifest[]
  eventPolicies: EventPolicyManifest[]
  topics: TopicManifest[]
  services: ServiceManifest[]
}

/** The folders, relative to the repository root, whose YAML describes the system. */
export const manifestFolders = {
  sources: 'sources',
  topics: join('brokers', 'topics'),
  services: join('manifests', 'base'),
} as const

/** One YAML document and the file it came from (for error messages). */
export type LocatedDocument = { file: string; value: Record<string, unknown> }

function readFolder(rootDir: string, folder: string): LocatedDocument[] {
  const dir = join(rootDir, folder)
  const files = readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file) && !/^kustomization\.ya?ml$/.test(file))
    .sort()
  return files.flatMap((file) => {
    const path = join(dir, file)
    const label = relative(rootDir, path)
    return parseAllDocuments(readFileSync(path, 'utf8')).flatMap((document) => {
      if (document.errors.length > 0)
        throw new ManifestError(
          label,
          document.errors.map((e) => e.message),
        )
      const value = document.toJS() as unknown
      if (value === null || value === undefined) return []
      if (typeof value !== 'object' || Array.isArray(value))
        throw new ManifestError(label, ['a document must be a mapping'])
      return [{ file: label, value: value as Record<string, unknown> }]
    })
  })
}

function parseAs<T extends z.ZodType>(schema: T, document: LocatedDocument): z.output<T> {
  const result = schema.safeParse(document.value)
  if (result.success) return result.data
  const name = (document.value.metadata as { name?: unknown } | undefined)?.name
  throw new ManifestError(
    `${document.file} (${String(document.value.kind)} ${String(name)})`,
    result.error.issues.map((issue) => `${issue.path.join('.') || '/'}: ${issue.message}`),
  )
}

function failOn(document: LocatedDocument, issues: string[]): void {
  if (issues.length > 0) {
    const name = (document.value.metadata as { name?: unknown } | undefined)?.name
    throw new ManifestError(`${document.file} (${String(document.value.kind)} ${String(name)})`, issues)
  }
}

function toKafkaSource(document: LocatedDocument): KafkaSourceManifest {
  const { metadata, spec } = parseAs(kafkaSourceSchema, document)
  const namespace = metadata.namespace ?? 'default'
  const issues: string[] = []
  const keyType = metadata.labels['kafkasources.sources.knative.dev/key-type'] ?? 'string'
  if (!['string', 'int', 'float', 'byte-array'].includes(keyType))
    issues.push(`unknown key-type label ${keyType}`)
  const scaling = toSourceScaling(metadata.annotations, issues)
  failOn(document, issues)
  return {
    name: metadata.name,
    namespace,
    bootstrapServers: spec.bootstrapServers,
    topics: spec.topics,
    // Knative derives the default group from the source's UID; outside a cluster a random UUID is the
    // closest equivalent (a fresh group each time: set consumerGroup to keep offsets across restarts).
    consumerGroup: spec.consumerGroup ?? `knative-kafka-source-${crypto.randomUUID()}`,
    initialOffset: spec.initialOffset,
    ordering: spec.ordering,
    consumers: spec.consumers,
    keyType: keyType as KafkaSourceManifest['keyType'],
    delivery: toDelivery(spec.delivery, namespace),
    sink: toDestination(spec.sink, namespace),
    ceOverrides: spec.ceOverrides?.extensions ?? {},
    scaling,
    sasl: {
      enabled: spec.net?.sasl?.enable ?? false,
      userSecret: toKeyRef(spec.net?.sasl?.user),
      passwordSecret: toKeyRef(spec.net?.sasl?.password),
      typeSecret: toKeyRef(spec.net?.sasl?.type),
    },
    tls: { enabled: spec.net?.tls?.enable ?? false, caCertSecret: toKeyRef(spec.net?.tls?.caCert) },
  }
}

function toService(
  document: LocatedDocument,
  configMaps: Map<string, Record<string, string>>,
): ServiceManifest {
  const { metadata, spec } = parseAs(serviceSchema, document)
  const namespace = metadata.namespace ?? 'default'
  const issues: string[] = []
  const scaling = toServiceScaling(spec.template.metadata.annotations, issues)
  const container = spec.template.spec.containers[0]!
  const env: Record<string, string> = {}
  const secretEnv: ServiceManifest['secretEnv'] = []
  for (const source of container.envFrom) {
    if (source.configMapRef === undefined) continue
    const data = configMaps.get(`${namespace}/${source.configMapRef.name}`)
    if (data === undefined) issues.push(`envFrom ConfigMap ${source.configMapRef.name} does not exist`)
    else Object.assign(env, data)
  }
  for (const variable of container.env) {
    if (variable.value !== undefined) env[variable.name] = variable.value
    else if (variable.valueFrom?.secretKeyRef !== undefined)
      secretEnv.push({ name: variable.name, secretKeyRef: variable.valueFrom.secretKeyRef })
    else if (variable.valueFrom?.configMapKeyRef !== undefined) {
      const ref = variable.valueFrom.configMapKeyRef
      const value = configMaps.get(`${namespace}/${ref.name}`)?.[ref.key]
      if (value === undefined)
        issues.push(`env ${variable.name}: ConfigMap key ${ref.name}/${ref.key} does not exist`)
      else env[variable.name] = value
    }
  }
  failOn(document, issues)
  return {
    name: metadata.name,
    namespace,
    image: container.image,
    containerConcurrency: spec.template.spec.containerConcurrency,
    scaling,
    env,
    secretEnv,
    labels: metadata.labels,
  }
}

const configMapSchema = z.object({
  metadata: metadataSchema,
  data: z.record(z.string(), z.string()).default({}),
})

export type ManifestDocuments = {
  sources: LocatedDocument[]
  topics: LocatedDocument[]
  services: LocatedDocument[]
}

/** The raw documents of the system's folders (sources/, brokers/topics/, manifests/base/). */
export function readManifestDocuments(rootDir: string): ManifestDocuments {
  return {
    sources: readFolder(rootDir, manifestFolders.sources),
    topics: readFolder(rootDir, manifestFolders.topics),
    services: readFolder(rootDir, manifestFolders.services),
  }
}

/**
 * The documents of `manifests/overlays/<overlay>` as a cluster receives them (`kubectl kustomize`),
 * sorted into the loader's three groups. Throws KustomizeError when kubectl cannot render it.
 */
export function readOverlayDocuments(rootDir: string, overlay: string): ManifestDocuments {
  const file = `${join('manifests', 'overlays', overlay)} (rendered)`
  const documents = renderKustomization(join(rootDir, 'manifests', 'overlays', overlay)).map(
    (value): LocatedDocument => ({ file, value }),
  )
  const isTopic = (d: LocatedDocument) => d.value.kind === 'KafkaTopic'
  const isService = (d: LocatedDocument) =>
    d.value.kind === 'ConfigMap' ||
    (d.value.kind === 'Service' && String(d.value.apiVersion).startsWith('serving.knative.dev/'))
  return {
    topics: documents.filter(isTopic),
    services: documents.filter(isService),
    sources: documents.filter((d) => !isTopic(d) && !isService(d)),
  }
}

/**
 * Reads the system's manifests under `rootDir` (the repository root): sources/, brokers/topics/ and
 * manifests/base/, or the rendered `overlay`. Throws ManifestError, naming file and field, on the first
 * document that does not fit.
 */
export function loadSystemManifests(rootDir: string, overlay?: string): SystemManifests {
  return buildSystemManifests(
    overlay === undefined ? readManifestDocuments(rootDir) : readOverlayDocuments(rootDir, overlay),
  )
}

/** Types and defaults already-parsed documents (what loadSystemManifests does after reading files). */
export function buildSystemManifests(documents: ManifestDocuments): SystemManifests {
  const { sources: sourceDocuments, topics: topicDocuments, services: serviceDocuments } = documents
  const ofKind = (documents: LocatedDocument[], kind: string) =>
    documents.filter((d) => d.value.kind === kind)

  const configMaps = new Map<string, Record<string, string>>()
  for (const document of ofKind(serviceDocuments, 'ConfigMap')) {
    const { metadata, data } = parseAs(configMapSchema, document)
    configMaps.set(`${metadata.namespace ?? 'default'}/${metadata.name}`, data)
  }

  return {
    kafkaSources: ofKind(sourceDocuments, 'KafkaSource').map(toKafkaSource),
    pingSources: ofKind(sourceDocuments, 'PingSource').map((document) => {
      const { metadata, spec } = parseAs(pingSourceSchema, document)
      const namespace = metadata.namespace ?? 'default'
      return {
        name: metadata.name,
        namespace,
        schedule: spec.schedule,
        timezone: spec.timezone,
        contentType: spec.contentType,
        data: spec.data,
        dataBase64: spec.dataBase64,
        sink: toDestination(spec.sink, namespace),
      }
    }),
    kafkaSinks: ofKind(sourceDocuments, 'KafkaSink').map((document) => {
      const { metadata, spec } = parseAs(kafkaSinkSchema, document)
      return {
        name: metadata.name,
        namespace: metadata.namespace ?? 'default',
        topic: spec.topic,
        bootstrapServers: spec.bootstrapServers,
        contentMode: spec.contentMode,
        authSecret: spec.auth?.secret.ref.name,
      }
    }),
    sinkBindings: ofKind(sourceDocuments, 'SinkBinding').map((document) => {
      const { metadata, spec } = parseAs(sinkBindingSchema, document)
      const namespace = metadata.namespace ?? 'default'
      return {
        name: metadata.name,
        namespace,
        subject: { ...spec.subject, namespace: spec.subject.namespace ?? namespace },
        sink: toDestination(spec.sink, namespace),
      }
    }),
    eventPolicies: ofKind(sourceDocuments, 'EventPolicy').map((document) => {
      const { metadata, spec } = parseAs(eventPolicySchema, document)
      const namespace = metadata.namespace ?? 'default'
      return {
        name: metadata.name,
        namespace,
        to: spec.to.map((entry) => entry.ref),
        from: spec.from.map((entry) =>
          'ref' in entry ? { ref: { ...entry.ref, namespace: entry.ref.namespace ?? namespace } } : entry,
        ),
      }
    }),
    topics: ofKind(topicDocuments, 'KafkaTopic').map((document) => {
      const { metadata, spec } = parseAs(topicSchema, document)
      return {
        name: spec.topicName ?? metadata.name,
        resourceName: metadata.name,
        cluster: metadata.labels['strimzi.io/cluster'],
        partitions: spec.partitions,
        replicas: spec.replicas,
        config: spec.config,
      }
    }),
    services: ofKind(serviceDocuments, 'Service').map((document) => toService(document, configMaps)),
  }
}
