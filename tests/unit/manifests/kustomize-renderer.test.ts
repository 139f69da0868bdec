// The offline kustomize renderer: its semantics on small fixtures, and (where kubectl is installed)
// output identical to `kubectl kustomize` for every overlay of the repository.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { repoRoot } from '../../support/schemas.ts'
import { overlays } from './manifest-files.ts'
import {
  type KubernetesObject,
  KustomizeError,
  renderKustomization,
  resourceId,
  strategicMerge,
} from './support/kustomize.ts'

const scratch = mkdtempSync(join(tmpdir(), 'kustomize-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let fixture = 0
function tree(files: Record<string, string>): string {
  const root = join(scratch, String(fixture++))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}
const configMap = (name: string, data: Record<string, string>, namespace?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}data: ${JSON.stringify(data)}\n`

describe('strategic merge (custom-resource semantics)', () => {
  it('merges maps, replaces lists, deletes on null', () => {
    expect(strategicMerge({ a: { b: 1, c: 2 }, l: [1, 2], d: 1 }, { a: { c: 3 }, l: [9], d: null })).toEqual({
      a: { b: 1, c: 3 },
      l: [9],
    })
  })
})

describe('renderKustomization', () => {
  it('collects resources from files and nested kustomizations, then patches, namespace and labels', () => {
    const root = tree({
      'base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'base/cm.yaml': configMap('a', { x: '1', y: '2' }),
      'overlay/kustomization.yaml':
        'resources: [../base, extra.yaml]\nnamespace: ns\nlabels:\n  - pairs: { team: t }\n    includeSelectors: false\npatches:\n  - path: patch.yaml\n',
      'overlay/extra.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n',
      'overlay/patch.yaml': configMap('a', { y: '3' }),
    })
    const rendered = renderKustomization(join(root, 'overlay'))
    expect(rendered).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: 'ns', labels: { team: 't' } },
        data: { x: '1', y: '3' },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { team: 't' } } },
    ])
  })

  it('applies a targeted patch to every match', () => {
    const root = tree({
      'kustomization.yaml':
        'resources: [cms.yaml]\npatches:\n  - path: p.yaml\n    target: { kind: ConfigMap }\n',
      'cms.yaml': `${configMap('a', { x: '1' })}---\n${configMap('b', { x: '1' })}`,
      'p.yaml': configMap('anything', { x: '2' }),
    })
    expect(renderKustomization(root).map((r) => [r.metadata.name, (r.data as { x: string }).x])).toEqual([
      ['a', '2'],
      ['b', '2'],
    ])
  })

  it.each([
    [
      'a file outside the root',
      { 'k/kustomization.yaml': 'resources: [../cm.yaml]\n', 'cm.yaml': configMap('a', {}) },
      /outside the kustomization root/,
    ],
    [
      'a patch that matches nothing',
      {
        'k/kustomization.yaml': 'resources: [cm.yaml]\npatches: [{ path: p.yaml }]\n',
        'k/cm.yaml': configMap('a', {}),
        'k/p.yaml': configMap('b', {}),
      },
      /matches no resource/,
    ],
    [
      'the same resource twice',
      {
        'k/kustomization.yaml': 'resources: [cm.yaml, again.yaml]\n',
        'k/cm.yaml': configMap('a', {}),
        'k/again.yaml': configMap('a', {}),
      },
      /included twice/,
    ],
    [
      'an unsupported kustomization field',
      { 'k/kustomization.yaml': 'resources: []\nimages: [{ name: x }]\n' },
      /images/,
    ],
    [
      'a directory without kustomization.yaml',
      { 'k/kustomization.yaml': 'resources: [../plain]\n', 'plain/cm.yaml': configMap('a', {}) },
      /no kustomization.yaml/,
    ],
    ['a missing resource', { 'k/kustomization.yaml': 'resources: [nope.yaml]\n' }, /does not exist/],
  ])('refuses %s with a KustomizeError', (_label, files, message) => {
    const root = tree(files as Record<string, string>)
    expect(() => renderKustomization(join(root, 'k'))).toThrow(KustomizeError)
    expect(() => renderKustomization(join(root, 'k'))).toThrow(message)
  })
})

describe('the repository overlays', () => {
  it('dev has one dual-role node, replication 1 everywhere and single-replica topics', () => {
    const rendered = renderKustomization(join(repoRoot, 'manifests/overlays/dev'))
    const kafka = rendered.find((r) => r.kind === 'Kafka') as KubernetesObject & {
      spec: { kafka: { config: Record<string, unknown> } }
    }
    expect(kafka.spec.kafka.config).toMatchObject({
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      'offsets.topic.replication.factor': 1,
    })
    expect(
      rendered
        .filter((r) => r.kind === 'KafkaNodePool')
        .map((p) => [p.metadata.name, (p.spec as { roles: string[] }).roles]),
    ).toEqual([['dual-role', ['controller', 'broker']]])
    for (const topic of rendered.filter((r) => r.kind === 'KafkaTopic')) {
      expect(topic.metadata.namespace).toBe('taskflow')
      expect((topic.spec as { replicas: number }).replicas).toBe(1)
    }
  })

  it('prod has 3 controllers + 3 brokers, RF 3 / min ISR 2 and a warm Task API', () => {
    const rendered = renderKustomization(join(repoRoot, 'manifests/overlays/prod'))
    const kafka = rendered.find((r) => r.kind === 'Kafka') as KubernetesObject & {
      spec: { kafka: { config: Record<string, unknown> } }
    }
    expect(kafka.spec.kafka.config).toMatchObject({
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
    })
    expect(
      rendered
        .filter((r) => r.kind === 'KafkaNodePool')
        .map((p) => [(p.spec as { roles: string[] }).roles, (p.spec as { replicas: number }).replicas]),
    ).toEqual([
      [['controller'], 3],
      [['broker'], 3],
    ])
    const api = rendered.find(
      (r) => r.kind === 'Service' && r.metadata.name === 'task-api',
    ) as KubernetesObject & {
      spec: { template: { metadata: { annotations: Record<string, string> } } }
    }
    expect(api.spec.template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('1')
  })
})

// Cross-check with the real kustomize (built into kubectl) where it is installed. kubectl is not a
// project dependency (it cannot come from the npm registry), so its absence never fails a run, CI included.
const kubectlPresent = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' })
    return true
  } catch {
    console.warn('[skip] kubectl not installed: the kubectl kustomize cross-check does not run')
    return false
  }
})()
describe.runIf(kubectlPresent)('renderer agrees with kubectl kustomize', () => {
  const sortById = (objects: KubernetesObject[]) =>
    [...objects].sort((a, b) => resourceId(a).localeCompare(resourceId(b)))
  it.each(overlays)('%s', (overlay) => {
    const text = execFileSync('kubectl', ['kustomize', join(repoRoot, overlay)], { encoding: 'utf8' })
    const expected = parseAllDocuments(text).map((d) => d.toJS() as KubernetesObject)
    expect(sortById(renderKustomization(join(repoRoot, overlay)))).toEqual(sortById(expected))
  })
})
