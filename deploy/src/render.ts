// Plans as text: one shell-ready line per command, so a dry run can be read, or pasted, step by step.
import { isCommand, type Plan, type Step } from './plan.ts'

const plainArgument = /^[\w@%+=:,./-]+$/

/** POSIX shell quoting: single quotes around anything that is not plainly safe. */
export function shellQuote(argument: string): string {
  return plainArgument.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`
}

export function commandLine(step: { command: string; args: string[] }): string {
  return [step.command, ...step.args].map(shellQuote).join(' ')
}

/** A step as shell text: its command line, or a heredoc writing its file. */
export function stepText(step: Step): string {
  if (isCommand(step)) return commandLine(step)
  const { path, content } = step.writeFile
  const directory = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.'
  return `mkdir -p ${shellQuote(directory)} && cat > ${shellQuote(path)} <<'EOF'\n${content}EOF`
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
    lines.push('', `# ${stepHeading(plan, index)}`, stepText(step))
    if (isCommand(step) && step.expectStdout !== undefined)
      lines.push(`#   (its output must be: ${step.expectStdout})`)
  })
  return `${lines.join('\n')}\n`
}
