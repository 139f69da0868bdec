// What a Kubernetes object needs from the cluster and what it adds to it, as plain references the plan
// checker can compare: a ConfigMap or Secret (with its keys), an API (CRD), an image, a namespace, an
// addressable (Knative Service, KafkaSink), a Kafka topic. Read from the objects kubectl applies.
import type { KubernetesObject } from '../../sources/src/kustomize.ts'

/** Something that exists on the cluster after a step; `keys` when the checker can see them (ConfigMap, Secret). */
export type Provision = { ref: string; keys?: readonly string[] }

/**
 * Something a step or an object uses; `by` names the user for the checker's messages. `atApply`: kubectl
 * refuses the object without it (its API, its namespace); every other need only has to exist before the
 * object is waited for, because controllers retry until it appears.
 */
export type Need = { ref: string; key?: string; by: string; atApply?: true }

export const refs = {
  api: (apiVersion: string, kind: string) => `API ${apiVersion} ${kind}`,
  object: (apiVersion: string, kind: string, namespace: string, name: string) =>
    `${kindKey(apiVersion, kind)} ${namespace}/${name}`,
  configMap: (namespace: string, name: string) => `ConfigMap ${namespace}/${name}`,
  secret: (namespace: string, name: string) => `Secret ${namespace}/${name}`,
  namespace: (name: string) => `Namespace ${name}`,
  image: (reference: string) => `Image ${reference}`,
  /** A topic inside the plan's Kafka cluster, by its Kafka name (KafkaTopic spec.topicName). */
  topic: (name: string) => `Topic ${name}`,
  /** A Knative feature flag switched on (config-features). */
  feature: (name: string) => `Feature ${name}`,
  /** A variable of the shell that runs the plan (func.yaml `{{ env:VAR }}`). */
  shellEnv: (name: string) => `Env ${name}`,
  file: (path: string) => `File ${path}`,
}

/** Kind qualified by API group, so a Knative Service is not a core Service. */
function kindKey(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
  return group === '' ? kind : `${kind}.${group}`
}

// APIs every cluster serves without a CRD.
const builtInApiVersions = new Set([
  'v1',
  'apps/v1',
  'batch/v1',
  'rbac.authorization.k8s.io/v1',
  'networking.k8s.io/v1',
])
const clusterScopedKinds = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
])

type Plain = Record<string, unknown>
const isPlain = (value: unknown): value is Plain =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

export function namespaceOf(object: KubernetesObject, fallback: string): string {
  return object.metadata.namespace ?? fallback
}

export function describeObject(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata.name}`
}

/** Ref of the object itself. */
export function objectRef(object: KubernetesObject, fallbackNamespace: string): string {
  if (object.kind === 'Namespace') return refs.namespace(object.metadata.name)
  return refs.object(
    object.apiVersion,
    object.kind,
    namespaceOf(object, fallbackNamespace),
    object.metadata.name,
  )
}

/** What applying the object creates: the object, with the keys a ConfigMap or Secret holds. */
export function objectProvision(object: KubernetesObject, fallbackNamespace: string): Provision {
  const ref = objectRef(object, fallbackNamespace)
  if (object.apiVersion === 'v1' && (object.kind === 'ConfigMap' || object.kind === 'Secret')) {
    const keys = ['data', 'stringData', 'binaryData'].flatMap((field) =>
      isPlain(object[field]) ? Object.keys(object[field] as Plain) : [],
    )
    return { ref, keys }
  }
  return { ref }
}

/** A Knative destination or subject reference ({apiVersion, kind, name, namespace?}). */
function referenceNeed(value: unknown, namespace: string, by: string): Need[] {
  if (!isPlain(value)) return []
  const [apiVersion, kind, name] = [text(value.apiVersion), text(value.kind), text(value.name)]
  if (apiVersion === undefined || kind === undefined || name === undefined) return []
  return [{ ref: refs.object(apiVersion, kind, text(value.namespace) ?? namespace, name), by }]
}

/** ConfigMaps, Secrets, ServiceAccounts and images any pod template in the object uses. */
function podTemplateNeeds(node: unknown, namespace: string, by: string): Need[] {
  const needs: Need[] = []
  const visit = (value: unknown, parentKey: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, parentKey)
      return
    }
    if (!isPlain(value)) return
    for (const [key, child] of Object.entries(value)) {
      if (key === 'configMapKeyRef' || key === 'secretKeyRef') {
        const ref = isPlain(child) ? child : {}
        const name = text(ref.name)
        if (name !== undefined && ref.optional !== true) {
          const make = key === 'configMapKeyRef' ? refs.configMap : refs.secret
          needs.push({ ref: make(namespace, name), ...(text(ref.key) ? { key: text(ref.key) } : {}), by })
        }
        continue
      }
      if ((key === 'configMapRef' || key === 'secretRef') && parentKey === 'envFrom') {
        const ref = isPlain(child) ? child : {}
        const name = text(ref.name)
        if (name !== undefined && ref.optional !== true) {
          needs.push({ ref: (key === 'configMapRef' ? refs.configMap : refs.secret)(namespace, name), by })
        }
        continue
      }
      if (parentKey === 'volumes' && (key === 'configMap' || key === 'secret') && isPlain(child)) {
        const name = key === 'configMap' ? text(child.name) : text(child.secretName)
        if (name !== undefined && child.optional !== true) {
          const ref = (key === 'configMap' ? refs.configMap : refs.secret)(namespace, name)
          const items = Array.isArray(child.items)
            ? child.items.filter(isPlain).map((item) => text(item.key))
            : []
          if (items.length === 0) needs.push({ ref, by })
          for (const item of items) if (item !== undefined) needs.push({ ref, key: item, by })
        }
        continue
      }
      if (key === 'serviceAccountName' && text(child) !== undefined) {
        needs.push({ ref: refs.object('v1', 'ServiceAccount', namespace, text(child) as string), by })
        continue
      }
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(child)) {
        for (const container of child) {
          const image = isPlain(container) ? text(container.image) : undefined
          if (image !== undefined) needs.push({ ref: refs.image(image), by })
        }
      }
      visit(child, key)
    }
  }
  visit(node, '')
  return needs
}

/**
 * Everything the object needs on the cluster before it can become Ready: its API, its namespace, what its
 * pod templates reference, and per kind the topics, sinks, subjects, Secrets and Kafka it names.
 */
export function objectNeeds(object: KubernetesObject, fallbackNamespace: string): Need[] {
  const by = describeObject(object)
  const namespace = namespaceOf(object, fallbackNamespace)
  const needs: Need[] = []
  if (!builtInApiVersions.has(object.apiVersion)) {
    needs.push({ ref: refs.api(object.apiVersion, object.kind), by, atApply: true })
  }
  if (!clusterScopedKinds.has(object.kind)) needs.push({ ref: refs.namespace(namespace), by, atApply: true })
  const spec = isPlain(object.spec) ? object.spec : {}
  // A sink audience is only used (a token sent) with Knative's authentication-oidc feature on.
  if (isPlain(spec.sink) && text(spec.sink.audience) !== undefined) {
    needs.push({ ref: refs.feature('authentication-oidc'), by })
  }
  needs.push(...podTemplateNeeds(spec, namespace, by))

  const cluster = object.metadata.labels?.['strimzi.io/cluster']
  if (cluster !== undefined)
    needs.push({ ref: refs.object('kafka.strimzi.io/v1', 'Kafka', namespace, cluster), by })

  switch (object.kind) {
    case 'KafkaSource':
      for (const topic of Array.isArray(spec.topics) ? spec.topics : []) {
        if (text(topic) !== undefined) needs.push({ ref: refs.topic(topic as string), by })
      }
      needs.push(...referenceNeed(isPlain(spec.sink) ? spec.sink.ref : undefined, namespace, by))
      break
    case 'KafkaSink': {
      if (text(spec.topic) !== undefined) needs.push({ ref: refs.topic(spec.topic as string), by })
      const auth =
        isPlain(spec.auth) && isPlain(spec.auth.secret) && isPlain(spec.auth.secret.ref)
          ? spec.auth.secret.ref
          : {}
      if (text(auth.name) !== undefined) needs.push({ ref: refs.secret(namespace, auth.name as string), by })
      break
    }
    case 'PingSource':
      needs.push(...referenceNeed(isPlain(spec.sink) ? spec.sink.ref : undefined, namespace, by))
      break
    case 'SinkBinding':
      needs.push(...referenceNeed(spec.subject, namespace, by))
      needs.push(...referenceNeed(isPlain(spec.sink) ? spec.sink.ref : undefined, namespace, by))
      break
    case 'RoleBinding': {
      const roleRef = isPlain(object.roleRef) ? object.roleRef : {}
      if (roleRef.kind === 'Role' && text(roleRef.name) !== undefined) {
        needs.push({
          ref: refs.object('rbac.authorization.k8s.io/v1', 'Role', namespace, roleRef.name as string),
          by,
        })
      }
      break
    }
  }
  // A dead-letter sink is a destination like the sink (KafkaSource, PingSource, Trigger).
  const delivery = isPlain(spec.delivery) ? spec.delivery : {}
  if (isPlain(delivery.deadLetterSink))
    needs.push(...referenceNeed(delivery.deadLetterSink.ref, namespace, by))
  return needs
}

// What Strimzi's operators write once a resource is Ready (Strimzi 1.x documentation: the cluster CA
// Secret `<cluster>-cluster-ca-cert`, a SCRAM user's Secret `<user>` with `password` and
// `sasl.jaas.config`, a TLS user's with its certificate and key; the topic itself).
export function operatorOutputs(object: KubernetesObject, fallbackNamespace: string): Provision[] {
  const namespace = namespaceOf(object, fallbackNamespace)
  const spec = isPlain(object.spec) ? object.spec : {}
  switch (object.kind) {
    case 'Kafka':
      return [
        {
          ref: refs.secret(namespace, `${object.metadata.name}-cluster-ca-cert`),
          keys: ['ca.crt', 'ca.p12', 'ca.password'],
        },
        {
          ref: refs.secret(namespace, `${object.metadata.name}-clients-ca-cert`),
          keys: ['ca.crt', 'ca.p12', 'ca.password'],
        },
      ]
    case 'KafkaUser': {
      const type = isPlain(spec.authentication) ? spec.authentication.type : undefined
      if (type === 'scram-sha-512') {
        return [{ ref: refs.secret(namespace, object.metadata.name), keys: ['password', 'sasl.jaas.config'] }]
      }
      if (type === 'tls') {
        return [
          {
            ref: refs.secret(namespace, object.metadata.name),
            keys: ['ca.crt', 'user.crt', 'user.key', 'user.p12', 'user.password'],
          },
        ]
      }
      return []
    }
    case 'KafkaTopic':
      return [{ ref: refs.topic(text(spec.topicName) ?? object.metadata.name) }]
    default:
      return []
  }
}

// sources/kafka-sink-credentials.yaml: a run of the CronJob writes `<user>-kafka-auth` for each user in
// its SINK_USERS variable, with the keys a KafkaSink's auth Secret needs.
const sinkAuthKeys = ['protocol', 'sasl.mechanism', 'user', 'password', 'ca.crt']

/** The KafkaUsers a credential CronJob composes Secrets for: its SINK_USERS variable. */
function sinkUsersOf(cronJob: KubernetesObject): string[] {
  const users: string[] = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit)
    else if (isPlain(value)) {
      if (value.name === 'SINK_USERS' && text(value.value) !== undefined) {
        users.push(...(value.value as string).split(/\s+/).filter((user) => user !== ''))
      }
      Object.values(value).forEach(visit)
    }
  }
  visit(cronJob.spec)
  return users
}

/** The Secrets one run of a credential CronJob writes. */
export function credentialJobOutputs(cronJob: KubernetesObject, fallbackNamespace: string): Provision[] {
  const namespace = namespaceOf(cronJob, fallbackNamespace)
  return sinkUsersOf(cronJob).map((user) => ({
    ref: refs.secret(namespace, `${user}-kafka-auth`),
    keys: sinkAuthKeys,
  }))
}

/** The needs of a credential CronJob's run: its pod template's, plus the Secrets its script reads. */
export function credentialJobNeeds(
  cronJob: KubernetesObject,
  fallbackNamespace: string,
  kafkaCluster: string,
): Need[] {
  const namespace = namespaceOf(cronJob, fallbackNamespace)
  const by = `a run of CronJob/${cronJob.metadata.name}`
  return [
    ...objectNeeds(cronJob, fallbackNamespace).map((need) => ({ ...need, by })),
    { ref: refs.secret(namespace, `${kafkaCluster}-cluster-ca-cert`), key: 'ca.crt', by },
    // The Strimzi-generated Secret of each user, whose password the job copies.
    ...sinkUsersOf(cronJob).map((user) => ({ ref: refs.secret(namespace, user), key: 'password', by })),
  ]
}
