import { describe, expect, it } from 'vitest'
import { createSchemaRegistry } from '../../support/schemas.ts'
import { functionFolders, readFuncYaml } from './function-folders.ts'

// Every function's func.yaml against knative/func's own schema (SCHEMAS_DIR), plus the settings
// this project relies on for `kn func deploy` to build the folder alone.

const registry = createSchemaRegistry()
const folders = functionFolders()

describe('func.yaml', () => {
  it('there is at least one function folder', () => {
    expect(folders.map((folder) => folder.name)).toContain('audit-log')
  })

  for (const folder of folders) {
    describe(folder.name, () => {
      const funcYaml = readFuncYaml(folder) as Record<string, unknown> & {
        build?: { buildEnvs?: { name: string; value: string }[] }
        deploy?: { options?: { scale?: { min?: number; max?: number } } }
      }

      it('validates against the func.yaml schema', () => {
        expect(registry.validateFuncYaml(funcYaml)).toEqual({ ok: true, schema: 'func' })
      })

      it('is a TypeScript CloudEvent function named after its folder', () => {
        expect(funcYaml).toMatchObject({ name: folder.name, runtime: 'typescript', invoke: 'cloudevent' })
      })

      it('makes the buildpack run `npm run build`', () => {
        expect(funcYaml.build?.buildEnvs).toContainEqual({ name: 'BP_NODE_RUN_SCRIPTS', value: 'build' })
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
