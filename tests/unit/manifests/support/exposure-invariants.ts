// Who can reach what from outside the cluster. The Task API is the only public door: it authenticates
// callers and forwards the functions' read routes to their cluster-local URLs. The functions take
// CloudEvents on `/` (checked by sender identity, not by user tokens), so they must be cluster-local
// Knative Services and no public route may send to them. The Task API's operational endpoints
// (/metrics, /readyz, /healthz) are for the cluster: no public rule may match them.

import type { KubernetesObject } from '../../../../sources/src/kustomize.ts'
import type { FuncYaml } from './invariants.ts'

export const taskApiService = 'task-api'
export const visibilityLabel = 'networking.knative.dev/visibility'
const functionLabel = 'function.knative.dev/name'
/** net-kourier's internal gateway: where a route sends requests for Knative Services, Host rewritten. */
const knativeIngress = { name: 'kourier-internal', namespace: 'kourier-system' }

/** The Task API settings that name a function it forwards to (api/src/config.ts), and that function. */
export const forwardedFunctions: Record<string, string> = {
  AUDIT_LOG_URL: 'audit-log',
  NOTIFICATIONS_URL: 'notification-fanout',
}

type Rule = {
  matches?: { path?: { type?: string; value?: string } }[]
  filters?: { type?: string; urlRewrite?: { hostname?: string } }[]
  backendRefs?: { kind?: string; name?: string; namespace?: string }[]
}

const isKnativeService = (r: KubernetesObject) =>
  r.kind === 'Service' && String(r.apiVersion).startsWith('serving.knative.dev/')
const labelsOf = (r: KubernetesObject): Record<string, string> => r.metadata.labels ?? {}
const clusterDomainOf = (name: string, namespace: string) => `${name}.${namespace}.svc.cluster.local`

/** The Knative Service a rule's request reaches: by its rewritten Host, or a direct Service backend. */
function ruleTarget(rule: Rule, routeNamespace: string): string {
  const host = rule.filters?.find((filter) => filter.type === 'URLRewrite')?.urlRewrite?.hostname
  const targets = (rule.backendRefs ?? []).map((backend) => {
    const namespace = backend.namespace ?? routeNamespace
    const viaIngress = backend.name === knativeIngress.name && namespace === knativeIngress.namespace
    if (!viaIngress) return `${backend.kind ?? 'Service'} ${namespace}/${backend.name}`
    // Knative routes by Host only: without a rewrite the public Host reaches no Knative Service.
    const service = host?.match(/^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/)
    return service
      ? `Service ${service[2]}/${service[1]}`
      : `${knativeIngress.name} with Host ${host ?? '(public)'}`
  })
  return [...new Set(targets)].join(', ')
}

export function publicRouteViolations(resources: KubernetesObject[], namespace: string): string[] {
  const violations: string[] = []
  const taskApi = `Service ${namespace}/${taskApiService}`
  for (const route of resources.filter((r) => r.kind === 'HTTPRoute')) {
    const rules = ((route.spec as { rules?: Rule[] } | undefined)?.rules ?? []) as Rule[]
    for (const rule of rules) {
      const target = ruleTarget(rule, route.metadata.namespace ?? namespace)
      if (target !== taskApi) {
        const paths = (rule.matches ?? []).map((match) => match.path?.value ?? '/').join(' ')
        violations.push(`HTTPRoute ${route.metadata.name}: ${paths} goes to ${target}, not the Task API`)
      }
      for (const internal of operationalPaths) {
        const exposing = (rule.matches ?? [{}]).find((match) => pathMatches(match.path, internal))
        if (exposing)
          violations.push(
            `HTTPRoute ${route.metadata.name}: ${exposing.path?.value ?? '/'} makes ${internal} public`,
          )
      }
    }
  }
  return violations
}

const operationalPaths = ['/metrics', '/readyz', '/healthz']

/** Gateway API path matching: no path is PathPrefix `/`; PathPrefix matches whole segments. */
function pathMatches(path: { type?: string; value?: string } | undefined, candidate: string): boolean {
  const value = path?.value ?? '/'
  if (path?.type === 'Exact') return value === candidate
  const prefix = value.endsWith('/') ? value : `${value}/`
  return value === '/' || candidate === value || candidate.startsWith(prefix)
}

/** Function Services cluster-local (as their func.yaml deploys them), the Task API public. */
export function visibilityViolations(resources: KubernetesObject[], funcYamls: FuncYaml[]): string[] {
  const violations: string[] = []
  for (const service of resources.filter(isKnativeService)) {
    const name = service.metadata.name
    const visibility = labelsOf(service)[visibilityLabel]
    if (labelsOf(service)[functionLabel] !== undefined) {
      if (visibility !== 'cluster-local')
        violations.push(`Service ${name}: a function must be ${visibilityLabel}: cluster-local`)
      const funcYaml = funcYamls.find((f) => f.name === name)
      const deployed = funcYaml?.deploy?.labels?.find((label) => label.key === visibilityLabel)?.value
      if (funcYaml !== undefined && deployed !== visibility)
        violations.push(
          `func.yaml ${name}: deploy.labels ${visibilityLabel} is ${deployed}, the Service says ${visibility}`,
        )
    } else if (name === taskApiService && visibility === 'cluster-local') {
      violations.push(`Service ${name}: the Task API is the public entry and must not be cluster-local`)
    }
  }
  return violations
}

/** The Task API forwards to each function at that function's cluster-local address. */
export function forwardingViolations(resources: KubernetesObject[], namespace: string): string[] {
  const config = resources.find(
    (r) => r.kind === 'ConfigMap' && r.metadata.name === `${taskApiService}-config`,
  )
  const data = (config?.data as Record<string, string> | undefined) ?? {}
  const violations: string[] = []
  for (const [setting, fn] of Object.entries(forwardedFunctions)) {
    const expected = `http://${clusterDomainOf(fn, namespace)}`
    if (!resources.some((r) => isKnativeService(r) && r.metadata.name === fn))
      violations.push(`${setting}: function ${fn} has no Knative Service`)
    if (data[setting] !== expected)
      violations.push(`${taskApiService}-config ${setting} is ${data[setting]}, not ${fn}'s ${expected}`)
  }
  return violations
}

type Selector = {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

/** Whether a pod labelled `labels` is selected (NetworkPolicy podSelector semantics, In/Exists only). */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
  const byExpressions = (selector.matchExpressions ?? []).every((expression) =>
    expression.operator === 'In'
      ? (expression.values ?? []).includes(labels[expression.key] ?? '')
      : expression.operator === 'Exists' && labels[expression.key] !== undefined,
  )
  return byLabels && byExpressions
}

/** Every Knative Service's pods (labelled serving.knative.dev/service) admit traffic by a NetworkPolicy. */
export function networkPolicyViolations(resources: KubernetesObject[]): string[] {
  const policies = resources.filter((r) => r.kind === 'NetworkPolicy')
  return resources
    .filter(isKnativeService)
    .filter((service) => {
      const pod = { 'serving.knative.dev/service': service.metadata.name }
      return !policies.some((policy) => selects((policy.spec as { podSelector: Selector }).podSelector, pod))
    })
    .map((service) => `Service ${service.metadata.name}: no NetworkPolicy limits who reaches its pods`)
}
