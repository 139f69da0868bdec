// Who can reach what from outside the cluster. The Task API is the only public door: it authenticates
// callers and forwards the functions' read routes to their cluster-local URLs. The functions take
// unauthenticated CloudEvents on `/` (KafkaSources and PingSources do not sign), so they must be
// cluster-local Knative Services and no public route may send to them.
import type { FuncYaml } from './invariants.ts'
import type { KubernetesObject } from './kustomize.ts'

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
  matches?: { path?: { value?: string } }[]
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
    }
  }
  return violations
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
