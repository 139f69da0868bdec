// Plans as text: one shell-ready line per command, so a dry run can be read, or pasted, step by step.
import type { Plan, Step } from './plan.ts'

const plainArgument = /^[\w@%+=:,./-]+$/

/** POSIX shell quoting: single quotes around anything that is not plainly safe. */
export function shellQuote(argument: string): string {
  return plainArgument.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`
}

export function commandLine(step: Pick<Step, 'command' | 'args'>): string {
  return [step.command, ...step.args].map(shellQuote).join(' ')
}

export function stepHeading(plan: Plan, index: number): string {
  const step = plan.steps[index] as Step
  return `[${index + 1}/${plan.steps.length}] ${step.phase}: ${step.reason}`
}

export function renderPlan(plan: Plan): string {
  const lines = [
    `# ${plan.action} plan, overlay ${plan.overlay}: ${plan.steps.length} steps, nothing executed`,
  ]
  for (const warning of plan.warnings) lines.push(`# warning: ${warning}`)
  plan.steps.forEach((step, index) => {
    lines.push('', `# ${stepHeading(plan, index)}`, commandLine(step))
    if (step.expectStdout !== undefined) lines.push(`#   (its output must be: ${step.expectStdout})`)
  })
  return `${lines.join('\n')}\n`
}
