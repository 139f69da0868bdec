import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  FunctionSpecError,
  parseFunctionSpec,
  readFunctionSpec,
} from '../../../../local/src/serving/function-spec.ts'

const root = join(import.meta.dirname, '..', '..', '..', '..')

describe('func.yaml scale options', () => {
  it('reads deploy.options.scale, containerConcurrency and literal run.envs of the audit-log function', async () => {
    const spec = await readFunctionSpec(join(root, 'functions', 'audit-log'))
    expect(spec.name).toBe('audit-log')
    expect(spec.scale).toEqual({ min: 0, max: 5, metric: 'concurrency', target: 10, utilization: 70 })
    expect(spec.containerConcurrency).toBe(20)
    expect(spec.envs).toMatchObject({ AUDIT_RETENTION_DAYS: '90' })
  })

  it("falls back to Knative's defaults when func.yaml sets no scale", () => {
    const spec = parseFunctionSpec('name: bare\n')
    expect(spec.scale).toEqual({ min: 0, max: 0, metric: 'concurrency', target: 100, utilization: 70 })
    expect(spec.containerConcurrency).toBe(0)
  })

  it('uses the rps default target (200) for metric rps', () => {
    const spec = parseFunctionSpec('name: r\ndeploy:\n  options:\n    scale:\n      metric: rps\n')
    expect(spec.scale.target).toBe(200)
  })

  it('leaves templated env values to the caller', () => {
    const spec = parseFunctionSpec(
      'name: e\nrun:\n  envs:\n    - name: A\n      value: "1"\n    - name: B\n      value: "{{ env:B }}"\n',
    )
    expect(spec.envs).toEqual({ A: '1' })
  })

  it.each([
    ['name: x\ndeploy:\n  options:\n    scale:\n      min: -1\n', /deploy\.options\.scale\.min/],
    ['name: x\ndeploy:\n  options:\n    scale:\n      metric: cpu\n', /deploy\.options\.scale\.metric/],
    ['deploy: {}\n', /name/],
    ['name: [unclosed\n', /invalid YAML/],
  ])('rejects an invalid func.yaml with a typed error naming the field', (text, message) => {
    expect(() => parseFunctionSpec(text, 'func.yaml')).toThrow(FunctionSpecError)
    expect(() => parseFunctionSpec(text, 'func.yaml')).toThrow(message)
  })
})
