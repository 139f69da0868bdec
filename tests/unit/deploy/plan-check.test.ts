// The plan checker on small hand-made plans: each kind of mistake it must name, and what it must accept.
import { describe, expect, it } from 'vitest'
import type { Plan, Step } from '../../../deploy/src/plan.ts'
import { checkPlan } from '../../../deploy/src/plan-check.ts'
import type { Need, Provision } from '../../../deploy/src/resources.ts'

type Partial = {
  creates?: Provision[]
  needs?: Need[]
  waitsFor?: string[]
  applies?: { ref: string; needs: Need[] }[]
}
const step = (name: string, fields: Partial = {}): Step => ({
  phase: 'system',
  reason: name,
  command: 'run',
  args: [name],
  creates: [],
  needs: [],
  waitsFor: [],
  applies: [],
  ...fields,
})
const plan = (steps: Step[], assumes: Provision[] = []): Plan => ({
  action: 'deploy',
  overlay: 'dev',
  steps,
  warnings: [],
  placeholders: [],
  assumes,
})
const messages = (p: Plan) => checkPlan(p).map((problem) => problem.message)
const config = { ref: 'ConfigMap ns/app', keys: ['A', 'B'] }

describe('plan checker', () => {
  it('accepts a need created by an earlier step or assumed from the cluster prerequisites', () => {
    expect(
      checkPlan(
        plan([
          step('make', { creates: [config] }),
          step('use', { needs: [{ ref: config.ref, key: 'A', by: 'x' }] }),
        ]),
      ),
    ).toEqual([])
    expect(
      checkPlan(
        plan(
          [step('use', { needs: [{ ref: 'Secret ns/db', key: 'uri', by: 'x' }] })],
          [{ ref: 'Secret ns/db', keys: ['uri'] }],
        ),
      ),
    ).toEqual([])
  })

  it('names a need used before the step that creates it, with both steps', () => {
    expect(
      messages(
        plan([
          step('use', { needs: [{ ref: config.ref, key: 'A', by: 'func.yaml of f (A)' }] }),
          step('make', { creates: [config] }),
        ]),
      ),
    ).toEqual([
      'ConfigMap ns/app (key A), needed by func.yaml of f at step 1 (system: run use), is created only later, at step 2 (system: run make)',
    ])
  })

  it('names a need nobody creates', () => {
    expect(messages(plan([step('use', { needs: [{ ref: 'Image r/x:1', by: 'Service/x' }] })]))).toEqual([
      'Image r/x:1, needed by Service/x at step 1 (system: run use), is never created: not by the plan, not by a cluster prerequisite',
    ])
  })

  it('names a key the ConfigMap does not hold, and groups the keys of one user', () => {
    const needs: Need[] = ['C', 'D'].map((key) => ({ ref: config.ref, key, by: `func.yaml of f (${key})` }))
    expect(messages(plan([step('make', { creates: [config] }), step('use', { needs })]))).toEqual([
      'ConfigMap ns/app (keys C, D), needed by func.yaml of f at step 2 (system: run use), lacks the key (it has: A, B)',
    ])
  })

  it("checks an applied object's needs when a later step waits for it, not when it is applied", () => {
    const applies = [{ ref: 'KafkaSink ns/s', needs: [{ ref: 'Secret ns/auth', by: 'KafkaSink/s' }] }]
    const inOrder = plan([
      step('apply', { applies }),
      step('job', { creates: [{ ref: 'Secret ns/auth' }] }),
      step('wait', { waitsFor: ['KafkaSink ns/s'] }),
    ])
    expect(checkPlan(inOrder)).toEqual([])
    const waitFirst = plan([
      step('apply', { applies }),
      step('wait', { waitsFor: ['KafkaSink ns/s'] }),
      step('job', { creates: [{ ref: 'Secret ns/auth' }] }),
    ])
    expect(messages(waitFirst)).toEqual([
      'Secret ns/auth, needed by KafkaSink/s at step 2 (system: run wait), is created only later, at step 3 (system: run job)',
    ])
  })

  it('checks the needs of objects nobody waits for against the whole plan', () => {
    const applies = [{ ref: 'SinkBinding ns/b', needs: [{ ref: 'Service ns/f', by: 'SinkBinding/b' }] }]
    expect(
      checkPlan(plan([step('apply', { applies }), step('deploy', { creates: [{ ref: 'Service ns/f' }] })])),
    ).toEqual([])
    expect(messages(plan([step('apply', { applies })]))).toEqual([
      'Service ns/f, needed by SinkBinding/b by the end of the plan, is never created: not by the plan, not by a cluster prerequisite',
    ])
  })

  it('names a wait for something no step applied', () => {
    expect(messages(plan([step('wait', { waitsFor: ['KafkaSource ns/x'] })]))).toEqual([
      'step 1 (system: run wait) waits for KafkaSource ns/x, which no earlier step applies',
    ])
  })
})
