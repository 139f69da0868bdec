import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseFunctionSpec } from '../../../local/src/serving/function-spec.ts'
import { functionFolders, readFuncYaml } from '../../support/function-folders.ts'
import { createSchemaRegistry, readYamlDocuments, repoRoot } from '../../support/schemas.ts'

// Every function's func.yaml against knative/func's own schema (SCHEMAS_DIR), plus the settings
// this project relies on for `kn func deploy` to build the folder alone.

const registry = createSchemaRegistry()
const folders = functionFolders()

type ConfigMap = { kind: string; metadata: { name: string }; data?: Record<string, string> }
const configMapsIn = (file: string) =>
  (readYamlDocuments(join(repoRoot, 'manifests', 'base', file)) as ConfigMap[]).filter(
    (document) => document?.kind === 'ConfigMap',
  )
const sharedConfig = configMapsIn('shared-config.yaml')[0]?.data ?? {}
const functionConfigMaps = new Map(
  folders.flatMap((folder) =>
    configMapsIn(`${folder.name}.yaml`).map((map) => [map.metadata.name, map.data ?? {}] as const),
  ),
)

describe('func.yaml', () => {
  it('there is at least one function folder', () => {
    expect(folders.map((folder) => folder.name)).toContain('audit-log')
  })

  for (const folder of folders) {
    describe(folder.name, () => {
      const funcYaml = readFuncYaml(folder) as Record<string, unknown> & {
        build?: { buildEnvs?: { name: string; value: string }[] }
        deploy?: {
          labels?: { key: string; value?: string }[]
          options?: { scale?: { min?: number; max?: number } }
        }
        run?: { envs?: { name?: string; value?: string }[] }
      }
      const envs = funcYaml.run?.envs ?? []
      const references = envs.filter((env) => env.value?.includes('{{'))
      const literals = envs.filter((env) => !env.value?.includes('{{'))

      it('validates against the func.yaml schema', () => {
        expect(registry.validateFuncYaml(funcYaml)).toEqual({ ok: true, schema: 'func' })
      })

      it('is a TypeScript CloudEvent function named after its folder', () => {
        expect(funcYaml).toMatchObject({ name: folder.name, runtime: 'typescript', invoke: 'cloudevent' })
      })

      it('makes the buildpack run `npm run build`', () => {
        expect(funcYaml.build?.buildEnvs).toContainEqual({ name: 'BP_NODE_RUN_SCRIPTS', value: 'build' })
      })

      it('takes DATABASE_URL from the Secret taskflow-db-app, key uri, as the Services do', () => {
        expect(envs).toContainEqual({ name: 'DATABASE_URL', value: '{{ secret:taskflow-db-app:uri }}' })
      })

      it('references every key of the shared ConfigMap, as the Services envFrom it', () => {
        const referenced = references
          .map((env) => /^\{\{ configMap:taskflow-shared-config:([\w.-]+) \}\}$/.exec(env.value ?? ''))
          .filter((match) => match !== null)
          .map((match) => match[1])
        expect(referenced.sort()).toEqual(Object.keys(sharedConfig).sort())
        for (const env of references.filter((env) => env.value?.includes('configMap:'))) {
          expect(env.name, 'a key reference names its variable after the key').toBe(
            env.value?.split(':').at(-1)?.replace(' }}', ''),
          )
        }
      })

      it('uses only the documented {{ secret:name:key }} and {{ configMap:name:key }} references', () => {
        for (const env of references) {
          expect(env.value).toMatch(/^\{\{ (secret|configMap):[a-z0-9-]+:[\w.-]+ \}\}$/)
          // A nameless entry (a whole-ConfigMap import) would stop the local runtime reading func.yaml.
          expect(env.name).toBeDefined()
        }
      })

      it('literal run.envs equal its ConfigMap in manifests/base, and the local runtime reads only those', () => {
        const configMap = functionConfigMaps.get(`${folder.name}-config`) ?? {}
        for (const env of literals) expect(configMap[env.name ?? '']).toBe(env.value)
        const local = parseFunctionSpec(readFileSync(join(folder.dir, 'func.yaml'), 'utf8'))
        expect(local.envs).toEqual(Object.fromEntries(literals.map((env) => [env.name, env.value])))
      })

      it('is deployed cluster-local (deploy.labels), as its Service in manifests/base, and still reads locally', () => {
        expect(funcYaml.deploy?.labels).toContainEqual({
          key: 'networking.knative.dev/visibility',
          value: 'cluster-local',
        })
        const service = (
          readYamlDocuments(join(repoRoot, 'manifests', 'base', `${folder.name}.yaml`)) as {
            kind: string
            metadata: { labels?: Record<string, string> }
          }[]
        ).find((document) => document?.kind === 'Service')
        for (const label of funcYaml.deploy?.labels ?? [])
          expect(service?.metadata.labels?.[label.key], label.key).toBe(label.value)
        expect(parseFunctionSpec(readFileSync(join(folder.dir, 'func.yaml'), 'utf8')).name).toBe(folder.name)
      })

      it('scales to zero with an upper bound', () => {
        expect(funcYaml.deploy?.options?.scale?.min).toBe(0)
        expect(funcYaml.deploy?.options?.scale?.max).toBeGreaterThan(0)
      })
    })
  }
})

describe('func.yaml validation catches mistakes', () => {
  const good = readFuncYaml(folders.find((folder) => folder.name === 'audit-log')!) as Record<string, unknown>

  it('an unknown field fails', () => {
    const verdict = registry.validateFuncYaml({ ...good, replicas: 3 })
    expect(verdict.ok).toBe(false)
  })

  it('a wrong type in the scale options fails', () => {
    const deploy = good.deploy as { options: { scale: Record<string, unknown> } }
    const broken = {
      ...good,
      deploy: { ...deploy, options: { ...deploy.options, scale: { ...deploy.options.scale, min: 'zero' } } },
    }
    const verdict = registry.validateFuncYaml(broken)
    expect(verdict.ok).toBe(false)
    if (!verdict.ok) expect(JSON.stringify(verdict.issues)).toContain('scale')
  })

  it('an invoke mode kn func does not know fails', () => {
    expect(registry.validateFuncYaml({ ...good, invoke: 'grpc' }).ok).toBe(false)
  })
})
