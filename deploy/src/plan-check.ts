// Walks a plan in order and proves that everything is created before it is used: a step's own needs
// before it runs, an applied object's needs before the step that waits for it (controllers retry until
// they appear, waits and `kn func deploy` do not), and every other object's needs by the end. A needed
// key must be in the ConfigMap or Secret that provides it. The result names each problem with its step.

import { isCommand, type Plan, type Step } from './plan.ts'
import type { Need, Provision } from './resources.ts'

export type PlanProblem = { step: number | undefined; message: string }

type Created = { step: number; keys: readonly string[] | undefined }

function label(plan: Plan, index: number): string {
  const step = plan.steps[index] as Step
  return `step ${index + 1} (${step.phase}: ${isCommand(step) ? `${step.command} ${step.args.slice(0, 4).join(' ')}` : `write ${step.writeFile.path}`})`
}

export function checkPlan(plan: Plan): PlanProblem[] {
  // Every step that creates a ref, in order; assumptions are step -1.
  const creators = new Map<string, Created[]>()
  const record = (provision: Provision, step: number) => {
    const list = creators.get(provision.ref) ?? []
    list.push({ step, keys: provision.keys })
    creators.set(provision.ref, list)
  }
  for (const provision of plan.assumes) record(provision, -1)
  plan.steps.forEach((step, index) => {
    for (const provision of step.creates) record(provision, index)
  })

  // Problems grouped by what is missing and where, so one ConfigMap read for ten keys is one line.
  const grouped = new Map<
    string,
    { step: number | undefined; head: string; keys: Set<string>; users: Set<string>; tail: string }
  >()
  const report = (at: number | undefined, head: string, need: Need, tail: string) => {
    const id = `${at}|${head}|${tail}`
    const entry = grouped.get(id) ?? { step: at, head, keys: new Set(), users: new Set(), tail }
    if (need.key !== undefined) entry.keys.add(need.key)
    entry.users.add(need.by.replace(/ \(.*\)$/, ''))
    grouped.set(id, entry)
  }
  /** Checks `need` against what exists before step `before` (undefined: anything the plan creates). */
  const check = (need: Need, before: number | undefined) => {
    const all = creators.get(need.ref) ?? []
    const earlier = all.filter((c) => before === undefined || c.step < before)
    if (earlier.length === 0) {
      const later = all.find((c) => before !== undefined && c.step >= before)
      report(
        before,
        need.ref,
        need,
        later === undefined
          ? 'is never created: not by the plan, not by a cluster prerequisite'
          : `is created only later, at ${label(plan, later.step)}`,
      )
      return
    }
    if (need.key === undefined) return
    const known = earlier.filter((c) => c.keys !== undefined)
    if (known.length > 0 && !known.some((c) => c.keys?.includes(need.key as string))) {
      const keys = [...new Set(known.flatMap((c) => c.keys ?? []))].sort()
      report(before, need.ref, need, `lacks the key (it has: ${keys.join(', ') || 'none'})`)
    }
  }

  const problems: PlanProblem[] = []
  const pending = new Map<string, Need[]>()
  plan.steps.forEach((step, index) => {
    for (const need of step.needs) check(need, index)
    for (const ref of step.waitsFor) {
      const needs = pending.get(ref)
      if (needs === undefined) {
        problems.push({
          step: index,
          message: `${label(plan, index)} waits for ${ref}, which no earlier step applies`,
        })
        continue
      }
      for (const need of needs) check(need, index)
      pending.delete(ref)
    }
    for (const applied of step.applies) pending.set(applied.ref, applied.needs)
  })
  for (const needs of pending.values()) for (const need of needs) check(need, undefined)

  for (const { step, head, keys, users, tail } of grouped.values()) {
    const what = keys.size === 0 ? head : `${head} (key${keys.size > 1 ? 's' : ''} ${[...keys].join(', ')})`
    const where = step === undefined ? 'by the end of the plan' : `at ${label(plan, step)}`
    problems.push({ step, message: `${what}, needed by ${[...users].join(', ')} ${where}, ${tail}` })
  }
  return problems
}

export class PlanCheckError extends Error {
  readonly problems: PlanProblem[]
  constructor(plan: Plan, problems: PlanProblem[]) {
    super(
      `the ${plan.action} plan for overlay ${plan.overlay} would fail on a cluster:\n` +
        problems.map((p) => `  - ${p.message}`).join('\n'),
    )
    this.name = 'PlanCheckError'
    this.problems = problems
  }
}

/** Throws PlanCheckError naming every problem of the plan. */
export function assertPlanSound(plan: Plan): void {
  const problems = checkPlan(plan)
  if (problems.length > 0) throw new PlanCheckError(plan, problems)
}
