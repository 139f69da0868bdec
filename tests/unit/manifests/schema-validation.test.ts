// Every manifest validates against the upstream schema of its apiVersion + kind (ajv on the CRD's
// openAPIV3Schema), or against the project's own zod schema where no CRD exists; anything else fails.
import { relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createSchemaRegistry,
  readYamlDocuments,
  repoRoot,
  type SchemaVerdict,
} from '../../support/schemas.ts'
import { kubectlAvailable } from '../../support/services.ts'
import { funcYamlFiles, overlays, renderOverlay, resourceFiles } from './manifest-files.ts'

const registry = createSchemaRegistry()
const describeVerdict = (verdict: SchemaVerdict) =>
  verdict.ok ? 'ok' : verdict.issues.map((i) => `${i.path} ${i.message}`).join('; ')
const byName = (documents: unknown[], kind: string, name?: string) =>
  structuredClone(
    documents.find(
      (d) =>
        (d as { kind: string }).kind === kind &&
        (name === undefined || (d as { metadata: { name: string } }).metadata.name === name),
    ),
  ) as Record<
    string,
    // biome-ignore lint/suspicious/noExplicitAny: broken variants edit arbitrary nested fields
    any
  >

describe('manifest files', () => {
  const files = resourceFiles()

  it('cover the Kafka cluster, the sources and the services', () => {
    const names = files.map((f) => relative(repoRoot, f))
    expect(names).toEqual(
      expect.arrayContaining([
        'brokers/cluster/base/kafka.yaml',
        'sources/kafka-sources.yaml',
        'manifests/base/task-api.yaml',
        'brokers/topics/task-events.yaml',
      ]),
    )
  })

  it.each(files.map((f) => [relative(repoRoot, f), f]))('%s validates against its schema', (_label, file) => {
    for (const document of readYamlDocuments(file)) {
      const verdict = registry.validate(document)
      expect(describeVerdict(verdict), `${(document as { kind: string }).kind}`).toBe('ok')
    }
  })
})

// What a cluster applies: each overlay as `kubectl kustomize` renders it, patches included.
describe.runIf(kubectlAvailable())('rendered overlays', () => {
  it.each(overlays)('%s renders and every resource validates', (overlay) => {
    const rendered = renderOverlay(overlay)
    expect(rendered.length).toBeGreaterThan(0)
    for (const resource of rendered) {
      expect(describeVerdict(registry.validate(resource)), `${resource.kind}/${resource.metadata.name}`).toBe(
        'ok',
      )
    }
  })
})

describe('func.yaml files', () => {
  const files = funcYamlFiles()
  it.each(files.map((f) => [relative(repoRoot, f), f]))(
    '%s validates against the func.yaml schema',
    (_label, file) => {
      const [document] = readYamlDocuments(file)
      expect(describeVerdict(registry.validateFuncYaml(document))).toBe('ok')
    },
  )

  it('a func.yaml with an unknown scale option is refused', () => {
    const document = {
      specVersion: '0.36.0',
      name: 'x',
      created: '2026-01-01T00:00:00Z',
      deploy: { options: { scale: { maximum: 3 } } },
    }
    expect(registry.validateFuncYaml(document).ok).toBe(false)
  })
})

describe('schema registry', () => {
  const sources = readYamlDocuments(`${repoRoot}/sources/kafka-sources.yaml`)
  const kafka = readYamlDocuments(`${repoRoot}/brokers/cluster/base/kafka.yaml`)
  const users = readYamlDocuments(`${repoRoot}/brokers/cluster/base/kafka-users.yaml`)
  const services = readYamlDocuments(`${repoRoot}/manifests/base/audit-log.yaml`)
  const sinks = readYamlDocuments(`${repoRoot}/sources/kafka-sinks.yaml`)
  const pings = readYamlDocuments(`${repoRoot}/sources/ping-sources.yaml`)
  const bindings = readYamlDocuments(`${repoRoot}/sources/sink-bindings.yaml`)
  const pools = readYamlDocuments(`${repoRoot}/brokers/cluster/overlays/prod/node-pools.yaml`)
  const routes = readYamlDocuments(`${repoRoot}/manifests/base/routes.yaml`)
  const policies = readYamlDocuments(`${repoRoot}/sources/event-policies.yaml`)

  it('uses the CRDs for Strimzi and Knative kinds and zod only where no CRD is stored', () => {
    expect(registry.validate(sources[0])).toEqual({ ok: true, schema: 'crd' })
    expect(registry.validate(bindings[0])).toEqual({ ok: true, schema: 'zod' })
    expect(registry.kinds()).toEqual(
      expect.arrayContaining([
        'sources.knative.dev/v1/KafkaSource',
        'sources.knative.dev/v1beta1/KafkaSource',
        'kafka.strimzi.io/v1/Kafka',
      ]),
    )
  })

  it('uses the upstream CRDs of Gateway API, Knative EventPolicy, Strimzi Connect and Prometheus Operator', () => {
    for (const document of [byName(routes, 'HTTPRoute'), byName(routes, 'ReferenceGrant'), policies[0]]) {
      expect(registry.validate(document)).toEqual({ ok: true, schema: 'crd' })
    }
    expect(registry.kinds()).toEqual(
      expect.arrayContaining([
        'gateway.networking.k8s.io/v1/HTTPRoute',
        'gateway.networking.k8s.io/v1beta1/ReferenceGrant',
        'eventing.knative.dev/v1alpha1/EventPolicy',
        'eventing.knative.dev/v1beta3/EventType',
        'kafka.strimzi.io/v1/KafkaConnect',
        'kafka.strimzi.io/v1/KafkaConnector',
        'monitoring.coreos.com/v1/PrometheusRule',
        'monitoring.coreos.com/v1/PodMonitor',
        'monitoring.coreos.com/v1/ServiceMonitor',
      ]),
    )
  })

  it('refuses an unknown kind and a known kind at a version that is not served', () => {
    expect(
      registry.validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toMatchObject({ ok: false, issues: [{ message: expect.stringContaining('unknown kind') }] })
    expect(registry.validate({ ...(sources[0] as object), apiVersion: 'kafka.strimzi.io/v1beta2' }).ok).toBe(
      false,
    )
    expect(registry.validate({ ...(kafka[0] as object), apiVersion: 'kafka.strimzi.io/v1beta2' }).ok).toBe(
      false,
    )
  })

  const broken: [string, () => unknown, RegExp][] = [
    [
      'KafkaSource with a misspelled field',
      () => {
        const d = byName(sources, 'KafkaSource')
        d.spec.consumerGroupId = d.spec.consumerGroup
        return d
      },
      /consumerGroupId/,
    ],
    [
      'KafkaSource without topics',
      () => {
        const d = byName(sources, 'KafkaSource')
        delete d.spec.topics
        return d
      },
      /topics/,
    ],
    [
      'KafkaSource with retry as a string',
      () => {
        const d = byName(sources, 'KafkaSource')
        d.spec.delivery.retry = '5'
        return d
      },
      /integer/,
    ],
    [
      'Kafka with the v1beta2 spec.kafka.replicas',
      () => {
        const d = byName(kafka, 'Kafka')
        d.spec.kafka.replicas = 3
        return d
      },
      /replicas/,
    ],
    [
      'Kafka with an unknown listener type',
      () => {
        const d = byName(kafka, 'Kafka')
        d.spec.kafka.listeners[0].type = 'public'
        return d
      },
      /allowed values/,
    ],
    [
      'KafkaUser with the removed singular acls[].operation',
      () => {
        const d = byName(users, 'KafkaUser')
        d.spec.authorization.acls[0].operation = 'Read'
        return d
      },
      /operation/,
    ],
    [
      'KafkaNodePool without roles',
      () => {
        const d = byName(pools, 'KafkaNodePool')
        delete d.spec.roles
        return d
      },
      /roles/,
    ],
    [
      'KafkaSink with an unknown content mode',
      () => {
        const d = byName(sinks, 'KafkaSink')
        d.spec.contentMode = 'json'
        return d
      },
      /allowed values/,
    ],
    [
      'PingSource with a misspelled schedule',
      () => {
        const d = byName(pings, 'PingSource')
        d.spec.cron = d.spec.schedule
        return d
      },
      /cron/,
    ],
    [
      'Knative Service with a misspelled container field',
      () => {
        const d = byName(services, 'Service')
        d.spec.template.spec.containers[0].envfrom = []
        return d
      },
      /envfrom/,
    ],
    [
      'SinkBinding without a subject',
      () => {
        const d = byName(bindings, 'SinkBinding')
        delete d.spec.subject
        return d
      },
      /subject/,
    ],
    [
      'HTTPRoute with an unknown path match type',
      () => {
        const d = byName(routes, 'HTTPRoute')
        d.spec.rules[0].matches[0].path.type = 'Prefix'
        return d
      },
      /allowed values/,
    ],
    [
      'HTTPRoute backend on port 0',
      () => {
        const d = byName(routes, 'HTTPRoute')
        d.spec.rules[0].backendRefs[0].port = 0
        return d
      },
      /port/,
    ],
    [
      'ReferenceGrant from a kind without its namespace',
      () => {
        const d = byName(routes, 'ReferenceGrant')
        delete d.spec.from[0].namespace
        return d
      },
      /namespace/,
    ],
    [
      'EventPolicy with a misspelled sender field',
      () => {
        const d = byName(policies, 'EventPolicy')
        d.spec.from[0].reference = d.spec.from[0].ref
        return d
      },
      /reference/,
    ],
    [
      'ConfigMap with a numeric value',
      () => {
        const d = byName(services, 'ConfigMap')
        d.data.AUDIT_RETENTION_DAYS = 90
        return d
      },
      /string/,
    ],
    [
      'resource without a name',
      () => {
        const d = byName(sinks, 'KafkaSink')
        delete d.metadata.name
        return d
      },
      /name/,
    ],
  ]
  it.each(broken)('%s is refused', (_label, build, message) => {
    const verdict = registry.validate(build())
    expect(verdict.ok).toBe(false)
    expect(describeVerdict(verdict)).toMatch(message)
  })
})
