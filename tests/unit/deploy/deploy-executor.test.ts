import { describe, expect, it } from 'vitest'
import { type CommandRunner, executePlan, StepFailedError } from '../../../deploy/src/execute.ts'
import { buildDeployPlan, type Step } from '../../../deploy/src/plan.ts'
import { checkPrerequisites, MissingPrerequisiteError } from '../../../deploy/src/prerequisites.ts'
import { settingsFor, threeFunctions } from './fixtures.ts'

const plan = buildDeployPlan(threeFunctions, settingsFor({ kubeContext: 'docker-desktop' }))
const quiet = () => {}

function recordingRunner(fail: (step: Step) => ReturnType<CommandRunner> | undefined) {
  const ran: Step[] = []
  const run: CommandRunner = async (step) => {
    ran.push(step)
    return (await fail(step)) ?? { exitCode: 0, stdout: 'docker-desktop\n' }
  }
  return { ran, run }
}

describe('plan executor', () => {
  it('runs every step in order and logs each one before running it', async () => {
    const { ran, run } = recordingRunner(() => undefined)
    const lines: string[] = []
    await executePlan(plan, run, (line) => lines.push(line))
    expect(ran).toEqual(plan.steps)
    expect(lines.filter((l) => l.includes(`/${plan.steps.length}] `))).toHaveLength(plan.steps.length)
  })

  it('stops at the first failed step and names it', async () => {
    const { ran, run } = recordingRunner((step) =>
      step.command === 'kn' ? Promise.resolve({ exitCode: 3 }) : undefined,
    )
    const failure = executePlan(plan, run, quiet)
    await expect(failure).rejects.toBeInstanceOf(StepFailedError)
    await expect(failure).rejects.toThrow(/deploy failed at \[\d+\/\d+\] functions: .*audit-log/)
    await expect(failure).rejects.toThrow(
      /kn func deploy --path functions\/audit-log .*\n.*exited with code 3/,
    )
    expect(ran.at(-1)?.args).toContain('functions/audit-log')
    expect(ran.filter((s) => s.command === 'kn')).toHaveLength(1)
  })

  it('fails a command that cannot start', async () => {
    const { run } = recordingRunner(() => Promise.resolve({ spawnError: 'spawn kubectl ENOENT' }))
    await expect(executePlan(plan, run, quiet)).rejects.toThrow(/\[1\/\d+\] namespace: .*\n.*\n.*ENOENT/)
  })

  it('fails the context check when kubectl points at another cluster, before any kn func deploy', async () => {
    const { ran, run } = recordingRunner((step) =>
      step.expectStdout === undefined
        ? undefined
        : Promise.resolve({ exitCode: 0, stdout: 'prod-cluster\n' }),
    )
    await expect(executePlan(plan, run, quiet)).rejects.toThrow(
      /expected output "docker-desktop", got "prod-cluster"/,
    )
    expect(ran.some((s) => s.command === 'kn')).toBe(false)
  })
})

describe('prerequisites', () => {
  it('names every missing tool a deploy needs', () => {
    const probe = (command: string) => command === 'kubectl'
    expect(() => checkPrerequisites(plan, probe)).toThrow(MissingPrerequisiteError)
    try {
      checkPrerequisites(plan, probe)
    } catch (error) {
      expect((error as MissingPrerequisiteError).missing).toEqual(['kn', 'kn func'])
    }
  })

  it('reports the func plugin alone when kn runs but kn func does not', () => {
    const probe = (command: string, args: string[]) => !(command === 'kn' && args[0] === 'func')
    expect(() => checkPrerequisites(plan, probe)).toThrow(/missing prerequisite\(s\): kn func\n/)
  })

  it('needs only kubectl for a plan without functions', () => {
    const noFunctions = buildDeployPlan({ ...threeFunctions, functions: [] }, settingsFor())
    expect(() => checkPrerequisites(noFunctions, (command) => command === 'kubectl')).not.toThrow()
    expect(() => checkPrerequisites(noFunctions, () => false)).toThrow(/kubectl/)
  })
})
