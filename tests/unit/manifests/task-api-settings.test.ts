// Every setting the cluster gives the Task API (manifests/base/task-api.yaml: its ConfigMap, the shared
// one, its env) is one api/src/config.ts reads. A setting nobody reads fails silently on the cluster:
// KAFKA_SASL_* and KAFKA_CA_FILE were set there long before the config read them.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { apiEnvironmentVariables } from '../../../api/src/config.ts'
import type { KubernetesObject } from '../../../sources/src/kustomize.ts'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'

// Read by the OpenTelemetry SDK when one is switched on, not by the config module.
const sdkSetting = (name: string) => name.startsWith('OTEL_')

type Container = {
  env?: { name: string }[]
  envFrom?: { configMapRef?: { name: string } }[]
}

/** The variable names a Knative Service's container gets: env entries and whole ConfigMaps. */
function settingsOf(service: KubernetesObject, resources: KubernetesObject[]): string[] {
  const spec = service.spec as { template: { spec: { containers: Container[] } } }
  return spec.template.spec.containers.flatMap((container) => [
    ...(container.env ?? []).map((entry) => entry.name),
    ...(container.envFrom ?? []).flatMap((source) => {
      const map = resources.find(
        (r) => r.kind === 'ConfigMap' && r.metadata.name === source.configMapRef?.name,
      )
      if (map === undefined)
        throw new Error(`ConfigMap ${source.configMapRef?.name} is not in manifests/base`)
      return Object.keys((map.data as Record<string, string> | undefined) ?? {})
    }),
  ])
}

const unread = (settings: string[]) =>
  settings.filter((name) => !sdkSetting(name) && !apiEnvironmentVariables.includes(name))

describe('the Task API settings on the cluster', () => {
  const base = join(repoRoot, 'manifests', 'base')
  const resources = ['task-api.yaml', 'shared-config.yaml'].flatMap(
    (file) => readYamlDocuments(join(base, file)) as KubernetesObject[],
  )
  const service = resources.find((r) => r.kind === 'Service' && r.metadata.name === 'task-api')!

  it('are all read by api/src/config.ts', () => {
    const settings = settingsOf(service, resources)
    expect(settings).toEqual(expect.arrayContaining(['KAFKA_SASL_PASSWORD', 'KAFKA_CA_FILE', 'DATABASE_URL']))
    expect(unread(settings)).toEqual([])
  })

  it('a setting the config does not read is caught', () => {
    expect(unread([...settingsOf(service, resources), 'KAFKA_SASL_JAAS_CONFIG'])).toEqual([
      'KAFKA_SASL_JAAS_CONFIG',
    ])
  })
})
