// The repository's overlays as a cluster receives them: rendered by `kubectl kustomize`
// (sources/src/kustomize.ts), each with the settings of its environment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type KubernetesObject, KustomizeError, renderKustomization } from '../../../sources/src/kustomize.ts'
import { kubectlAvailable } from '../../support/services.ts'
import { renderOverlay } from './manifest-files.ts'

const renderable = kubectlAvailable()

type KafkaCluster = KubernetesObject & { spec: { kafka: { config: Record<string, unknown> } } }
type NodePool = KubernetesObject & { spec: { roles: string[]; replicas: number } }
const kafkaConfig = (rendered: KubernetesObject[]) =>
  (rendered.find((r) => r.kind === 'Kafka') as KafkaCluster).spec.kafka.config
const nodePools = (rendered: KubernetesObject[]) =>
  rendered.filter((r) => r.kind === 'KafkaNodePool') as NodePool[]

describe.runIf(renderable)('the repository overlays', () => {
  it('dev has one dual-role node, replication 1 everywhere and single-replica topics', () => {
    const rendered = renderOverlay('manifests/overlays/dev')
    expect(kafkaConfig(rendered)).toMatchObject({
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      'offsets.topic.replication.factor': 1,
    })
    expect(nodePools(rendered).map((p) => [p.metadata.name, p.spec.roles])).toEqual([
      ['dual-role', ['controller', 'broker']],
    ])
    const topics = rendered.filter((r) => r.kind === 'KafkaTopic')
    expect(topics.length).toBeGreaterThan(0)
    for (const topic of topics) {
      expect(topic.metadata.namespace).toBe('taskflow')
      expect((topic.spec as { replicas: number }).replicas).toBe(1)
    }
  })

  it('prod has 3 controllers + 3 brokers, RF 3 / min ISR 2 and a warm Task API', () => {
    const rendered = renderOverlay('manifests/overlays/prod')
    expect(kafkaConfig(rendered)).toMatchObject({
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
    })
    // kubectl kustomize orders its output (kind, then name): compare the pools as a set.
    const pools = nodePools(rendered).map((p) => [p.spec.roles, p.spec.replicas])
    expect(pools).toHaveLength(2)
    expect(pools).toEqual(
      expect.arrayContaining([
        [['controller'], 3],
        [['broker'], 3],
      ]),
    )
    const api = rendered.find(
      (r) => r.kind === 'Service' && r.metadata.name === 'task-api',
    ) as KubernetesObject & {
      spec: { template: { metadata: { annotations: Record<string, string> } } }
    }
    expect(api.spec.template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('1')
  })

  it('dev runs development tokens and no telemetry export; prod keeps production mode', () => {
    const sharedConfig = (overlay: string) =>
      renderOverlay(overlay).find(
        (r) => r.kind === 'ConfigMap' && r.metadata.name === 'taskflow-shared-config',
      )?.data as Record<string, string>
    expect(sharedConfig('manifests/overlays/dev')).toMatchObject({
      NODE_ENV: 'development',
      AUTH_JWKS_URL: '',
      AUTH_ISSUER: '',
      AUTH_AUDIENCE: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    })
    expect(sharedConfig('manifests/overlays/prod')).toMatchObject({ NODE_ENV: 'production' })
    expect(sharedConfig('manifests/overlays/prod').AUTH_JWKS_URL).toMatch(/^https:\/\//)
  })

  it('the example overlay runs every Service from its own registry, with its own identity provider', () => {
    const rendered = renderOverlay('manifests/overlays/example')
    const images = rendered
      .filter((r) => r.kind === 'Service' && r.apiVersion.startsWith('serving.knative.dev/'))
      .map(
        (r) =>
          (r.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]
            ?.image,
      )
    expect(images).toHaveLength(4)
    for (const image of images) expect(image).toMatch(/^registry\.example\.com\/taskflow\/[a-z-]+:0\.1\.0$/)
    const shared = rendered.find(
      (r) => r.kind === 'ConfigMap' && r.metadata.name === 'taskflow-shared-config',
    )
    expect(shared?.data).toMatchObject({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    })
  })

  it('each overlay labels every resource with its environment', () => {
    for (const environment of ['dev', 'prod']) {
      for (const resource of renderOverlay(`manifests/overlays/${environment}`)) {
        expect(resource.metadata.labels, `${resource.kind}/${resource.metadata.name}`).toMatchObject({
          'app.kubernetes.io/part-of': 'taskflow',
          'taskflow.dev/environment': environment,
        })
      }
    }
  })
})

describe.runIf(renderable)('renderKustomization', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kustomize-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  it("refuses a kustomization kubectl refuses, with kubectl's reason", () => {
    mkdirSync(join(scratch, 'broken'))
    writeFileSync(join(scratch, 'broken', 'kustomization.yaml'), 'resources: [missing.yaml]\n')
    expect(() => renderKustomization(join(scratch, 'broken'))).toThrow(KustomizeError)
    expect(() => renderKustomization(join(scratch, 'broken'))).toThrow(/missing\.yaml/)
  })
})
