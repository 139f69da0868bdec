// Knative Eventing's sender identity (feature `authentication-oidc`), derived from the YAML under
// sources/: which OIDC subject each source sends as, which audience it asks its token for, and so who
// may send to each sink. Names follow knative.dev/eventing pkg/auth (serviceaccount.go, audience.go).
import type { Destination, EventPolicyManifest, SystemManifests } from './manifests.ts'

/** A Kubernetes object as Knative names it: the source that sends, or the sink that receives. */
export type ResourceRef = {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly namespace: string
}

export const sourceApiVersion = 'sources.knative.dev/v1'
export const kafkaSinkApiVersion = 'eventing.knative.dev/v1alpha1'
// Kubernetes' DNS-1123 label limit, which kmeta.ChildName keeps a child's name within.
const maxNameLength = 63

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

/** The ServiceAccount Knative creates for a source's tokens: `<name>-oidc-<group>-<kind>`, lower case. */
export function oidcServiceAccountName(resource: Omit<ResourceRef, 'namespace'>): string {
  const name = `${resource.name}-oidc-${groupOf(resource.apiVersion)}-${resource.kind}`.toLowerCase()
  // Longer names are hashed by kmeta.ChildName; no manifest here needs that, so it is refused, not guessed.
  if (name.length > maxNameLength)
    throw new Error(`${resource.kind} ${resource.name}: its OIDC ServiceAccount name ${name} is too long`)
  return name
}

/** The `sub` claim of a ServiceAccount's token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`
}

/** The subject a source's events carry when sender identity is on. */
export function senderSubject(resource: ResourceRef): string {
  return serviceAccountSubject(resource.namespace, oidcServiceAccountName(resource))
}

/** The audience of an Eventing-owned sink: `<group>/<kind>/<namespace>/<name>`, lower case. */
export function resourceAudience(resource: ResourceRef): string {
  return `${groupOf(resource.apiVersion)}/${resource.kind}/${resource.namespace}/${resource.name}`.toLowerCase()
}

/**
 * The audience a sender asks its token for: a KafkaSink's own (an Eventing Addressable publishes it),
 * else the destination's `audience` (a Knative Service publishes none). Undefined: no token is sent.
 */
export function destinationAudience(destination: Destination): string | undefined {
  if (destination.ref?.kind === 'KafkaSink') return resourceAudience(destination.ref)
  return destination.audience
}

/** One sender of events and where it sends them, with the audience its tokens are for. */
export type Delivery = {
  readonly sender: ResourceRef
  readonly destination: Destination
  readonly audience: string | undefined
}

/** Every delivery the sources make: KafkaSources (sink and dead-letter sink), PingSources, SinkBindings. */
export function deliveriesOf(manifests: SystemManifests): Delivery[] {
  const deliveries: Delivery[] = []
  const add = (sender: ResourceRef, destination: Destination) =>
    deliveries.push({ sender, destination, audience: destinationAudience(destination) })
  for (const source of manifests.kafkaSources) {
    const sender = { apiVersion: sourceApiVersion, kind: 'KafkaSource', ...names(source) }
    add(sender, source.sink)
    if (source.delivery.deadLetterSink) add(sender, source.delivery.deadLetterSink)
  }
  for (const ping of manifests.pingSources)
    add({ apiVersion: sourceApiVersion, kind: 'PingSource', ...names(ping) }, ping.sink)
  for (const binding of manifests.sinkBindings)
    add({ apiVersion: sourceApiVersion, kind: 'SinkBinding', ...names(binding) }, binding.sink)
  return deliveries
}

function names(resource: { name: string; namespace: string }) {
  return { name: resource.name, namespace: resource.namespace }
}

function addresses(destination: Destination, target: Omit<ResourceRef, 'apiVersion'>): boolean {
  const ref = destination.ref
  return (
    ref !== undefined &&
    ref.kind === target.kind &&
    ref.name === target.name &&
    ref.namespace === target.namespace
  )
}

/** What a function (a Knative Service) must accept: the audience its senders use and their subjects. */
export type ServiceSenders = { readonly audience: string | undefined; readonly subjects: readonly string[] }

/**
 * The senders of a Knative Service, from every source addressing it. Throws when they ask for
 * different audiences, or some ask for none: a token for one audience is refused by the other's check.
 */
export function serviceSenders(manifests: SystemManifests, service: { name: string; namespace: string }) {
  const target = { kind: 'Service', ...service }
  const inbound = deliveriesOf(manifests).filter((d) => addresses(d.destination, target))
  const audiences = new Set(inbound.map((d) => d.audience))
  if (audiences.size > 1) {
    const listed = [...audiences].map((a) => a ?? '(none)').join(', ')
    throw new Error(`Service ${service.name}: its sources ask for different audiences (${listed})`)
  }
  const subjects = [...new Set(inbound.map((d) => senderSubject(d.sender)))].sort()
  return { audience: inbound[0]?.audience, subjects } satisfies ServiceSenders
}

/** Subjects allowed by one policy's `from` (a ref resolves to the resource's OIDC identity). */
export function policySubjects(policy: EventPolicyManifest): string[] {
  return policy.from.map((entry) => ('sub' in entry ? entry.sub : senderSubject(entry.ref)))
}

/**
 * What an Eventing-owned sink accepts: the subjects of the EventPolicies applying to it, or, with none,
 * Knative's default `allow-same-namespace` (any ServiceAccount of its namespace, as a `*` prefix).
 */
export function sinkAllowedSubjects(manifests: SystemManifests, sink: ResourceRef): string[] {
  const applying = manifests.eventPolicies.filter(
    (policy) =>
      policy.namespace === sink.namespace &&
      (policy.to.length === 0 ||
        policy.to.some(
          (to) => to.kind === sink.kind && to.name === sink.name && to.apiVersion === sink.apiVersion,
        )),
  )
  if (applying.length === 0) return [`system:serviceaccount:${sink.namespace}:*`]
  return [...new Set(applying.flatMap(policySubjects))].sort()
}
