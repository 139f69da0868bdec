// Rules across manifests that no single schema can see. Each check returns readable violations so a
// test can assert both that the real system has none and that a broken variant is caught.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { producerSettings } from '../../../../kafka/src/index.ts'
import type { KubernetesObject } from '../../../../sources/src/kustomize.ts'
import {
  buildSystemManifests,
  type LocatedDocument,
  type SystemManifests,
} from '../../../../sources/src/manifests.ts'
import { deadLetterSizeViolations } from './dead-letter-invariants.ts'
import {
  forwardingViolations,
  networkPolicyViolations,
  publicRouteViolations,
  taskApiService,
  visibilityViolations,
} from './exposure-invariants.ts'

export type FuncYaml = {
  name: string
  run?: { envs?: { name?: string; value?: string }[] }
  deploy?: {
    labels?: { key: string; value?: string }[]
    options?: {
      scale?: { min?: number; max?: number; target?: number; metric?: string; utilization?: number }
    }
  }
}

export type SystemInput = {
  /** Every resource of the system (an overlay rendered, or the files read directly). */
  resources: KubernetesObject[]
  /** functions/<name>/func.yaml documents that exist. */
  funcYamls: FuncYaml[]
  /** Text of sources/README.md, where every Knative feature flag we rely on must be documented. */
  featureDocs: string
  /** Whether the Task API's Kafka producer is idempotent (default: kafka/src/producer.ts's settings). */
  idempotentProducer?: boolean
}

const partOf = (kind: string) => (r: KubernetesObject) => r.kind === kind
const annotationsOf = (r: KubernetesObject): Record<string, string> =>
  (r.metadata.annotations as Record<string, string> | undefined) ?? {}
const labelsOf = (r: KubernetesObject): Record<string, string> => r.metadata.labels ?? {}

function typed(resources: KubernetesObject[]): SystemManifests {
  const located = (kinds: string[]): LocatedDocument[] =>
    resources
      .filter((r) => kinds.includes(r.kind))
      .map((r) => ({ file: `${r.kind}/${r.metadata.name}`, value: r as Record<string, unknown> }))
  return buildSystemManifests({
    sources: located(['KafkaSource', 'PingSource', 'KafkaSink', 'SinkBinding']),
    topics: located(['KafkaTopic']),
    services: located(['Service', 'ConfigMap']).filter(
      (d) => d.value.kind === 'ConfigMap' || String(d.value.apiVersion).startsWith('serving.knative.dev/'),
    ),
  })
}

// ---- The functions and their defaults (brief: used until a function's func.yaml exists) ----

export const functionScaleDefaults: Record<string, { min: number; max: number; target: number }> = {
  'audit-log': { min: 0, max: 12, target: 10 },
  reminders: { min: 0, max: 12, target: 10 },
  'notification-fanout': { min: 0, max: 6, target: 10 },
}

// ---- Knative fields or annotations that only work with a feature flag switched on ----

export const featureFlaggedFields: { flag: string; uses: (r: KubernetesObject) => boolean }[] = [
  {
    // eventing-kafka-broker: KEDA scaling of sources needs controller-autoscaler-keda in config-kafka-features.
    flag: 'controller-autoscaler-keda',
    uses: (r) =>
      Object.keys(annotationsOf(r)).some((key) => key.startsWith('autoscaling.eventing.knative.dev/')),
  },
  {
    flag: 'delivery-retryafter',
    uses: (r) => JSON.stringify(r.spec ?? {}).includes('"retryAfterMax"'),
  },
  {
    // OIDC audiences on sinks need authentication-oidc in config-features.
    flag: 'authentication-oidc',
    uses: (r) => JSON.stringify(r.spec ?? {}).includes('"audience"'),
  },
  {
    // delivery.timeout was gated by delivery-timeout before it became enabled by default.
    flag: 'delivery-timeout',
    uses: (r) => r.kind === 'KafkaSource' && JSON.stringify(r.spec ?? {}).includes('"timeout"'),
  },
]

// Keys in spec.kafka.config the Strimzi operator manages itself and refuses (prefixes).
const strimziForbiddenConfig = [
  'listeners',
  'advertised.',
  'broker.',
  'listener.',
  'host.name',
  'port',
  'inter.broker.listener.name',
  'sasl.',
  'ssl.',
  'security.',
  'password.',
  'log.dir',
  'zookeeper.',
  'authorizer.',
  'super.user',
  'cruise.control.metrics',
  'node.id',
  'process.roles',
  'controller.',
  'metadata.log.dir',
]

/** Keys a Secret in this repository may carry: names and mechanisms, never credentials. */
export const allowedSecretKeys = new Set(['user', 'type', 'protocol', 'sasl.mechanism'])

type Acl = {
  resource: { type: string; name?: string; patternType?: string }
  operations: string[]
  type?: string
}
const aclKey = (acl: Acl) =>
  acl.operations
    .map(
      (op) =>
        `${acl.type ?? 'allow'}:${acl.resource.type}:${acl.resource.name ?? ''}:${acl.resource.patternType ?? 'literal'}:${op}`,
    )
    .sort()

function expectedAcls(
  component: string,
  system: SystemManifests,
  resources: KubernetesObject[],
  idempotentProducer: boolean,
): Acl[] | string {
  const [kind, name] = component.split('/')
  if (kind === 'KafkaSource') {
    const source = system.kafkaSources.find((s) => s.name === name)
    if (source === undefined) return `KafkaSource ${name} does not exist`
    return [
      ...source.topics.map((topic) => ({
        resource: { type: 'topic', name: topic, patternType: 'literal' },
        operations: ['Read', 'Describe'],
      })),
      {
        resource: { type: 'group', name: source.consumerGroup, patternType: 'literal' },
        operations: ['Read'],
      },
    ]
  }
  if (kind === 'KafkaSink') {
    const sink = system.kafkaSinks.find((s) => s.name === name)
    if (sink === undefined) return `KafkaSink ${name} does not exist`
    return [
      {
        resource: { type: 'topic', name: sink.topic, patternType: 'literal' },
        operations: ['Write', 'Describe'],
      },
    ]
  }
  if (kind === 'Service' && name === 'task-api') {
    const config = resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name === 'task-api-config')
    const topic = (config?.data as Record<string, string> | undefined)?.TASK_EVENTS_TOPIC
    if (topic === undefined) return 'task-api-config has no TASK_EVENTS_TOPIC'
    return [
      { resource: { type: 'topic', name: topic, patternType: 'literal' }, operations: ['Write', 'Describe'] },
      ...(idempotentProducer ? [{ resource: { type: 'cluster' }, operations: ['IdempotentWrite'] }] : []),
    ]
  }
  return `unknown component ${component}`
}

// What each kind of component may be granted at all, whatever its exact ACLs: consumers (KafkaSource
// users) read their topics and commit in their own group; producers (KafkaSinks, the Task API) write
// their topics. Kafka's Read and Write imply Describe, which is listed anyway for clarity. The only
// cluster operation is IdempotentWrite, for the Task API's idempotent producer (a KafkaSink's Java
// producer is idempotent too, but Kafka 3+ brokers authorise that by Write on a topic, KIP-679).
const grantable: Record<'consumer' | 'producer', Record<string, readonly string[]>> = {
  consumer: { topic: ['Read', 'Describe'], group: ['Read', 'Describe'] },
  producer: { topic: ['Write', 'Describe'], cluster: ['IdempotentWrite'] },
}

/** Rules on one KafkaUser's ACLs that hold whatever its component uses: no broad grants at all. */
function leastPrivilegeViolations(
  user: KubernetesObject,
  component: string,
  idempotentProducer: boolean,
): string[] {
  const name = `KafkaUser ${user.metadata.name}`
  const spec = user.spec as {
    authentication?: { type?: string }
    authorization?: { type?: string; acls?: Acl[] }
  }
  const violations: string[] = []
  if (spec.authentication?.type !== 'scram-sha-512' && spec.authentication?.type !== 'tls')
    violations.push(`${name}: no authentication (scram-sha-512 or tls)`)
  if (spec.authorization?.type !== 'simple') violations.push(`${name}: authorization must be simple ACLs`)
  const role = component.startsWith('KafkaSource/') ? 'consumer' : 'producer'
  for (const acl of spec.authorization?.acls ?? []) {
    const { type, name: resource = '', patternType = 'literal' } = acl.resource
    const what = type === 'cluster' ? 'the cluster' : `${type} ${resource}`
    if (acl.type === 'deny') continue
    if (resource === '*' || resource.includes('*')) violations.push(`${name}: wildcard ACL on ${what}`)
    if (type !== 'cluster' && patternType !== 'literal')
      violations.push(`${name}: ${patternType} pattern on ${what} is broader than the ${type} it uses`)
    for (const operation of acl.operations) {
      if (operation === 'All') {
        violations.push(`${name}: operation All on ${what}`)
      } else if (type === 'cluster' && operation !== 'IdempotentWrite') {
        violations.push(`${name}: cluster-wide ${operation}`)
      } else if (!(grantable[role][type] ?? []).includes(operation)) {
        violations.push(`${name}: a ${role} needs no ${operation} on ${what}`)
      } else if (
        operation === 'IdempotentWrite' &&
        !(component === 'Service/task-api' && idempotentProducer)
      ) {
        violations.push(`${name}: IdempotentWrite without an idempotent producer of ours`)
      }
    }
  }
  return violations
}

/** Rules on the Kafka cluster itself: every listener authenticates and ACLs are enforced. */
function kafkaAuthorizationViolations(kafka: KubernetesObject, userNames: ReadonlySet<string>): string[] {
  const name = `Kafka ${kafka.metadata.name}`
  const spec = (
    kafka.spec as {
      kafka?: {
        listeners?: { name: string; authentication?: { type?: string } }[]
        authorization?: { type?: string; superUsers?: string[] }
        config?: Record<string, unknown>
      }
    }
  ).kafka
  const violations: string[] = []
  for (const listener of spec?.listeners ?? []) {
    if (listener.authentication?.type === undefined)
      violations.push(`${name}: listener ${listener.name} has no authentication`)
  }
  if (spec?.authorization?.type !== 'simple') violations.push(`${name}: authorization must be simple (ACLs)`)
  for (const superUser of spec?.authorization?.superUsers ?? []) {
    const user = superUser.replace(/^(User:)?(CN=)?/, '')
    if (userNames.has(user)) violations.push(`${name}: KafkaUser ${user} is a super user (ACLs bypassed)`)
  }
  if (String(spec?.config?.['allow.everyone.if.no.acl.found']) === 'true')
    violations.push(`${name}: allow.everyone.if.no.acl.found lets anyone use a resource without ACLs`)
  return violations
}

// Environment variables that carry a credential: they come from a Secret (secretKeyRef in a Service,
// `{{ secret:<name>:<key> }}` in func.yaml), never a literal or a ConfigMap.
const secretBearing = /(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|JAAS|CREDENTIAL|API_KEY)|^(DATABASE_URL|SMTP_URL)$/i
/** A URL with a password in it: scheme://user:password@host. */
const credentialUrl = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'{}]+:[^\s@/"'{}]+@/i
const funcSecretReference = /^\{\{\s*secret:[\w.-]+:[\w.-]+\s*\}\}$/

type EnvEntry = { name?: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }

/** Every `env` entry of a resource, wherever its pod templates put them (Services, CronJobs, ...). */
function envEntries(node: unknown): EnvEntry[] {
  if (Array.isArray(node)) return node.flatMap(envEntries)
  if (typeof node !== 'object' || node === null) return []
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'env' && Array.isArray(value) ? (value as EnvEntry[]) : envEntries(value),
  )
}

function secretValueViolations(input: SystemInput): string[] {
  const violations: string[] = []
  for (const secret of input.resources.filter(partOf('Secret'))) {
    const keys = [
      ...Object.keys((secret.stringData as object | undefined) ?? {}),
      ...Object.keys((secret.data as object | undefined) ?? {}),
    ]
    for (const key of keys.filter((k) => !allowedSecretKeys.has(k)))
      violations.push(`Secret ${secret.metadata.name}: key ${key} may hold a secret value`)
  }
  for (const config of input.resources.filter(partOf('ConfigMap'))) {
    for (const key of Object.keys((config.data as object | undefined) ?? {})) {
      if (secretBearing.test(key))
        violations.push(`ConfigMap ${config.metadata.name}: ${key} looks like a secret: use a secretKeyRef`)
    }
  }
  for (const resource of input.resources) {
    const label = `${resource.kind} ${resource.metadata.name}`
    const text = JSON.stringify(resource)
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|password=\\?"[^"\\]+/.test(text))
      violations.push(`${label} contains a credential`)
    if (credentialUrl.test(text)) violations.push(`${label}: a URL carries credentials: use a secretKeyRef`)
    for (const env of envEntries(resource)) {
      if (env.name === undefined || !secretBearing.test(env.name)) continue
      if (env.value !== undefined)
        violations.push(`${label}: env ${env.name} is a literal: use a secretKeyRef`)
      else if (env.valueFrom?.secretKeyRef === undefined)
        violations.push(`${label}: env ${env.name} must come from a secretKeyRef`)
    }
  }
  for (const func of input.funcYamls) {
    for (const env of func.run?.envs ?? []) {
      const value = env.value ?? ''
      if (env.name !== undefined && secretBearing.test(env.name) && !funcSecretReference.test(value))
        violations.push(`func.yaml ${func.name}: ${env.name} must be a {{ secret:<name>:<key> }} reference`)
      if (credentialUrl.test(value))
        violations.push(`func.yaml ${func.name}: ${env.name} carries credentials in a URL`)
    }
  }
  return violations
}

export function checkSystemInvariants(input: SystemInput): string[] {
  const { resources } = input
  const violations: string[] = []
  let system: SystemManifests
  try {
    system = typed(resources)
  } catch (error) {
    return [`manifests do not load: ${(error as Error).message}`]
  }
  const kafkas = resources.filter(partOf('Kafka'))
  const clusterNames = new Set(kafkas.map((k) => k.metadata.name))
  const services = new Set(system.services.map((s) => s.name))
  const sinks = new Map(system.kafkaSinks.map((s) => [s.name, s]))
  const topics = new Map(system.topics.map((t) => [t.name, t]))

  const destinationExists = (ref: { kind: string; name: string } | undefined): boolean =>
    ref !== undefined &&
    ((ref.kind === 'Service' && services.has(ref.name)) || (ref.kind === 'KafkaSink' && sinks.has(ref.name)))

  // Every function has a source; every source a sink that exists.
  for (const service of system.services.filter((s) => s.labels['function.knative.dev/name'] !== undefined)) {
    const fed = [...system.kafkaSources, ...system.pingSources].some(
      (source) => source.sink.ref?.name === service.name && source.sink.ref.kind === 'Service',
    )
    if (!fed) violations.push(`function ${service.name} has no KafkaSource or PingSource`)
  }
  for (const source of [...system.kafkaSources, ...system.pingSources]) {
    if (!destinationExists(source.sink.ref))
      violations.push(`source ${source.name}: sink ${JSON.stringify(source.sink)} does not exist`)
  }
  for (const binding of system.sinkBindings) {
    if (!services.has(binding.subject.name))
      violations.push(`SinkBinding ${binding.name}: subject ${binding.subject.name} does not exist`)
    if (!destinationExists(binding.sink.ref))
      violations.push(`SinkBinding ${binding.name}: sink does not exist`)
  }

  // Delivery: explicit retry and a dead-letter sink that exists, on every KafkaSource.
  for (const source of system.kafkaSources) {
    const raw = resources.find((r) => r.kind === 'KafkaSource' && r.metadata.name === source.name)
    const declaredRetry = (raw?.spec as { delivery?: { retry?: number } } | undefined)?.delivery?.retry
    if (!source.delivery.declared || declaredRetry === undefined)
      violations.push(`KafkaSource ${source.name}: delivery.retry must be explicit`)
    if (source.delivery.deadLetterSink === undefined)
      violations.push(`KafkaSource ${source.name}: no dead-letter sink (Knative would drop failed events)`)
    else if (!destinationExists(source.delivery.deadLetterSink.ref))
      violations.push(`KafkaSource ${source.name}: dead-letter sink does not exist`)
  }

  // Topics read or written exist as KafkaTopics of this cluster.
  const usedTopics = [
    ...system.kafkaSources.flatMap((s) => s.topics.map((t) => [`KafkaSource ${s.name}`, t] as const)),
    ...system.kafkaSinks.map((s) => [`KafkaSink ${s.name}`, s.topic] as const),
  ]
  for (const [user, topicName] of usedTopics) {
    const topic = topics.get(topicName)
    if (topic === undefined) violations.push(`${user}: topic ${topicName} is not a KafkaTopic`)
    else if (topic.cluster === undefined || !clusterNames.has(topic.cluster)) {
      violations.push(
        `KafkaTopic ${topicName}: label strimzi.io/cluster (${topic.cluster}) names no Kafka cluster`,
      )
    }
  }

  // Consumer groups: fixed and unique.
  const groups = system.kafkaSources.map((s) => s.consumerGroup)
  for (const source of system.kafkaSources) {
    const raw = resources.find((r) => r.kind === 'KafkaSource' && r.metadata.name === source.name)
    if ((raw?.spec as { consumerGroup?: string } | undefined)?.consumerGroup === undefined)
      violations.push(`KafkaSource ${source.name}: consumerGroup must be fixed`)
  }
  for (const group of new Set(groups)) {
    if (groups.filter((g) => g === group).length > 1)
      violations.push(`consumer group ${group} is used by more than one KafkaSource`)
  }

  // KEDA max-scale never above the partitions the source reads (extra consumers sit idle).
  for (const source of system.kafkaSources) {
    if (source.scaling === undefined) continue
    const partitions = source.topics.reduce((sum, t) => sum + (topics.get(t)?.partitions ?? 0), 0)
    if (source.scaling.maxScale > partitions) {
      violations.push(
        `KafkaSource ${source.name}: max-scale ${source.scaling.maxScale} exceeds the ${partitions} partitions it reads`,
      )
    }
  }

  // KafkaUsers: linked to the cluster, ACLs exactly what the component uses, credentials wired to them.
  const users = resources.filter(partOf('KafkaUser'))
  const componentsWithUser = new Set<string>()
  for (const user of users) {
    const name = user.metadata.name
    if (!clusterNames.has(labelsOf(user)['strimzi.io/cluster'] ?? ''))
      violations.push(`KafkaUser ${name}: strimzi.io/cluster names no Kafka cluster`)
    const component = annotationsOf(user)['taskflow.dev/used-by']
    if (component === undefined) {
      violations.push(`KafkaUser ${name}: no taskflow.dev/used-by annotation`)
      continue
    }
    componentsWithUser.add(component)
    violations.push(
      ...leastPrivilegeViolations(user, component, input.idempotentProducer ?? producerSettings.idempotent),
    )
    const expected = expectedAcls(
      component,
      system,
      resources,
      input.idempotentProducer ?? producerSettings.idempotent,
    )
    if (typeof expected === 'string') {
      violations.push(`KafkaUser ${name}: ${expected}`)
      continue
    }
    const actual = ((user.spec as { authorization?: { acls?: Acl[] } }).authorization?.acls ?? [])
      .flatMap(aclKey)
      .sort()
    const wanted = expected.flatMap(aclKey).sort()
    const missing = wanted.filter((k) => !actual.includes(k))
    const extra = actual.filter((k) => !wanted.includes(k))
    if (missing.length > 0) violations.push(`KafkaUser ${name}: missing ACLs ${missing.join(', ')}`)
    if (extra.length > 0)
      violations.push(`KafkaUser ${name}: ACLs beyond what ${component} uses: ${extra.join(', ')}`)
    const [kind, componentName] = component.split('/')
    if (kind === 'KafkaSource') {
      const source = system.kafkaSources.find((s) => s.name === componentName)
      const userSecret = source?.sasl.userSecret
      const secret = resources.find((r) => r.kind === 'Secret' && r.metadata.name === userSecret?.name)
      const literal = (secret?.stringData as Record<string, string> | undefined)?.[userSecret?.key ?? '']
      if (literal !== name)
        violations.push(`KafkaSource ${componentName}: SASL user secret does not name KafkaUser ${name}`)
      if (source?.sasl.passwordSecret?.name !== name)
        violations.push(
          `KafkaSource ${componentName}: SASL password must come from the Strimzi Secret ${name}`,
        )
      const typeRef = source?.sasl.typeSecret
      const typeSecret = resources.find((r) => r.kind === 'Secret' && r.metadata.name === typeRef?.name)
      if (
        (typeSecret?.stringData as Record<string, string> | undefined)?.[typeRef?.key ?? ''] !==
        'SCRAM-SHA-512'
      ) {
        violations.push(
          `KafkaSource ${componentName}: SASL type must be SCRAM-SHA-512 (Knative defaults to PLAIN)`,
        )
      }
    }
    if (kind === 'KafkaSink') {
      const sink = sinks.get(componentName ?? '')
      if (sink?.authSecret !== `${name}-kafka-auth`)
        violations.push(`KafkaSink ${componentName}: auth secret must be ${name}-kafka-auth`)
      const cron = resources.find((r) => r.kind === 'CronJob' && r.metadata.name === 'kafka-sink-credentials')
      if (!JSON.stringify(cron ?? {}).match(new RegExp(`"SINK_USERS","value":"[^"]*\\b${name}\\b`))) {
        violations.push(
          `KafkaSink ${componentName}: kafka-sink-credentials does not compose ${name}-kafka-auth`,
        )
      }
    }
  }
  for (const source of system.kafkaSources) {
    if (source.sasl.enabled && !componentsWithUser.has(`KafkaSource/${source.name}`))
      violations.push(`KafkaSource ${source.name} has no KafkaUser`)
  }
  for (const sink of system.kafkaSinks) {
    if (!componentsWithUser.has(`KafkaSink/${sink.name}`))
      violations.push(`KafkaSink ${sink.name} has no KafkaUser`)
  }

  // Strimzi refuses operator-managed keys in spec.kafka.config.
  for (const kafka of kafkas) {
    const config = ((kafka.spec as { kafka?: { config?: Record<string, unknown> } }).kafka?.config ??
      {}) as Record<string, unknown>
    for (const key of Object.keys(config)) {
      if (strimziForbiddenConfig.some((prefix) => key === prefix || key.startsWith(prefix)))
        violations.push(`Kafka ${kafka.metadata.name}: config key ${key} is managed by Strimzi`)
    }
  }
  for (const pool of resources.filter(partOf('KafkaNodePool'))) {
    if (!clusterNames.has(labelsOf(pool)['strimzi.io/cluster'] ?? ''))
      violations.push(`KafkaNodePool ${pool.metadata.name}: strimzi.io/cluster names no Kafka cluster`)
  }

  // Feature flags: a flagged field may be used only when sources/README.md documents the flag.
  for (const resource of resources) {
    for (const { flag, uses } of featureFlaggedFields) {
      if (uses(resource) && !input.featureDocs.includes(flag)) {
        violations.push(
          `${resource.kind} ${resource.metadata.name} needs Knative feature flag ${flag}, not documented in sources/README.md`,
        )
      }
    }
  }

  // No secret values in the repository: Secrets, ConfigMaps, env and func.yaml take them from Secrets.
  violations.push(...secretValueViolations(input))

  // Kafka enforces the KafkaUsers' ACLs on every listener; no component user bypasses them.
  for (const kafka of kafkas)
    violations.push(...kafkaAuthorizationViolations(kafka, new Set(users.map((u) => u.metadata.name))))

  // Function Services match their func.yaml (kn func deploy), or the defaults until it exists.
  for (const [fn, defaults] of Object.entries(functionScaleDefaults)) {
    const service = system.services.find((s) => s.name === fn)
    if (service === undefined) {
      violations.push(`function ${fn} has no Knative Service`)
      continue
    }
    const scale = input.funcYamls.find((f) => f.name === fn)?.deploy?.options?.scale
    const expected = {
      minScale: scale?.min ?? defaults.min,
      maxScale: scale?.max ?? defaults.max,
      target: scale?.target ?? defaults.target,
      metric: scale?.metric ?? 'concurrency',
      targetUtilizationPercentage: scale?.utilization ?? 70,
    }
    for (const [key, value] of Object.entries(expected)) {
      const actual = service.scaling[key as keyof typeof service.scaling]
      if (actual !== value)
        violations.push(`Service ${fn}: ${key} is ${actual}, func.yaml/defaults say ${value}`)
    }
  }

  // A dead letter must fit its topic (dead-letter-invariants.ts).
  violations.push(...deadLetterSizeViolations(system, resources))

  // Only the Task API is public; the functions are cluster-local, reached through it (exposure-invariants.ts).
  const namespace =
    resources.find((r) => r.kind === 'Service' && r.metadata.name === taskApiService)?.metadata.namespace ??
    'taskflow'
  violations.push(
    ...publicRouteViolations(resources, namespace),
    ...networkPolicyViolations(resources),
    ...visibilityViolations(resources, input.funcYamls),
    ...forwardingViolations(resources, namespace),
  )

  // Topic replication must fit the brokers of this cluster (only meaningful for a rendered overlay).
  const brokerCount = resources
    .filter(partOf('KafkaNodePool'))
    .filter((p) => ((p.spec as { roles?: string[] }).roles ?? []).includes('broker'))
    .reduce((sum, p) => sum + ((p.spec as { replicas?: number }).replicas ?? 0), 0)
  if (brokerCount > 0) {
    for (const topic of system.topics) {
      if (topic.replicas > brokerCount)
        violations.push(`KafkaTopic ${topic.name}: ${topic.replicas} replicas on ${brokerCount} broker(s)`)
      const minIsr = Number(topic.config['min.insync.replicas'] ?? 1)
      if (minIsr > topic.replicas)
        violations.push(
          `KafkaTopic ${topic.name}: min.insync.replicas ${minIsr} above replicas ${topic.replicas}`,
        )
    }
  }
  return violations
}

export function readFeatureDocs(repoRoot: string): string {
  return readFileSync(join(repoRoot, 'sources', 'README.md'), 'utf8')
}
