import { describe, expect, it } from 'vitest'
import {
  type CommandRunner,
  executePlan,
  type FileWriter,
  StepFailedError,
} from '../../../deploy/src/execute.ts'
import type { CommandStep, Plan, Step } from '../../../deploy/src/plan.ts'
import { checkPrerequisites, MissingPrerequisiteError } from '../../../deploy/src/prerequisites.ts'

const empty = { creates: [], needs: [], waitsFor: [], applies: [] }
const run = (
  phase: Step['phase'],
  command: string,
  args: string[],
  extra: Partial<CommandStep> = {},
): Step => ({
  phase,
  reason: `${command} ${args[0]}`,
  command,
  args,
  ...empty,
  ...extra,
})
const plan: Plan = {
  action: 'deploy',
  overlay: 'dev',
  warnings: [],
  placeholders: [],
  assumes: [],
  steps: [
    run('images', 'docker', ['build', '--tag', 'r/task-api:1', '.']),
    {
      phase: 'images',
      reason: 'write the kustomization',
      writeFile: { path: '.deploy/dev/kustomization.yaml', content: 'resources: []\n' },
      ...empty,
    },
    run('namespace', 'kubectl', ['apply', '--filename', 'manifests/base/namespace.yaml']),
    run('functions', 'kubectl', ['config', 'current-context'], { expectStdout: 'docker-desktop' }),
    run('functions', 'kn', ['func', 'deploy', '--path', 'functions/audit-log']),
    run('functions', 'kn', ['func', 'deploy', '--path', 'functions/reminders']),
  ],
}
const quiet = () => {}

function recording(fail: (step: CommandStep) => ReturnType<CommandRunner> | undefined = () => undefined) {
  const ran: Step[] = []
  const written: [string, string][] = []
  const runner: CommandRunner = async (step) => {
    ran.push(step)
    return (await fail(step)) ?? { exitCode: 0, stdout: 'docker-desktop\n' }
  }
  const write: FileWriter = async (path, content) => {
    written.push([path, content])
    ran.push(plan.steps.find((s) => 'writeFile' in s && s.writeFile.path === path) as Step)
  }
  return { ran, written, runner, write }
}

describe('plan executor', () => {
  it('runs every step in order, writes the files, and logs each step before running it', async () => {
    const { ran, written, runner, write } = recording()
    const lines: string[] = []
    await executePlan(plan, runner, (line) => lines.push(line), write)
    expect(ran).toEqual(plan.steps)
    expect(written).toEqual([['.deploy/dev/kustomization.yaml', 'resources: []\n']])
    expect(lines.filter((l) => l.includes(`/${plan.steps.length}] `))).toHaveLength(plan.steps.length)
    expect(lines.join('\n')).toContain("cat > .deploy/dev/kustomization.yaml <<'EOF'\nresources: []\nEOF")
  })

  it('stops at the first failed step and names it', async () => {
    const { ran, runner, write } = recording((step) =>
      step.command === 'kn' ? Promise.resolve({ exitCode: 3 }) : undefined,
    )
    const failure = executePlan(plan, runner, quiet, write)
    await expect(failure).rejects.toBeInstanceOf(StepFailedError)
    await expect(failure).rejects.toThrow(
      /deploy failed at \[5\/6\] functions: kn func\n.*kn func deploy --path functions\/audit-log\n.*exited with code 3/,
    )
    expect(ran.filter((s) => 'command' in s && s.command === 'kn')).toHaveLength(1)
  })

  it('fails a command that cannot start, and a file it cannot write', async () => {
    const { runner, write } = recording(() => Promise.resolve({ spawnError: 'spawn docker ENOENT' }))
    await expect(executePlan(plan, runner, quiet, write)).rejects.toThrow(/\[1\/6\] images: .*\n.*\n.*ENOENT/)
    const refusing: FileWriter = async () => {
      throw new Error('EACCES')
    }
    await expect(executePlan(plan, recording().runner, quiet, refusing)).rejects.toThrow(
      /\[2\/6\] images: write .*\n.*\n.*could not write: EACCES/,
    )
  })

  it('fails the context check when kubectl points at another cluster, before any kn func deploy', async () => {
    const { ran, runner, write } = recording((step) =>
      step.expectStdout === undefined
        ? undefined
        : Promise.resolve({ exitCode: 0, stdout: 'prod-cluster\n' }),
    )
    await expect(executePlan(plan, runner, quiet, write)).rejects.toThrow(
      /expected output "docker-desktop", got "prod-cluster"/,
    )
    expect(ran.some((s) => 'command' in s && s.command === 'kn')).toBe(false)
  })
})

describe('prerequisites', () => {
  it('names every missing tool a deploy needs: kn, its func plugin and the container CLI', () => {
    const probe = (command: string) => command === 'kubectl'
    expect(() => checkPrerequisites(plan, probe)).toThrow(MissingPrerequisiteError)
    try {
      checkPrerequisites(plan, probe)
    } catch (error) {
      expect((error as MissingPrerequisiteError).missing).toEqual(['kn', 'kn func', 'docker'])
    }
  })

  it('reports the func plugin alone when kn runs but kn func does not', () => {
    const probe = (command: string, args: string[]) => !(command === 'kn' && args[0] === 'func')
    expect(() => checkPrerequisites(plan, probe)).toThrow(/missing prerequisite\(s\): kn func\n/)
  })

  it('needs only kubectl for a plan of kubectl steps', () => {
    const kubectlOnly = {
      ...plan,
      steps: plan.steps.filter((s) => 'command' in s && s.command === 'kubectl'),
    }
    expect(() => checkPrerequisites(kubectlOnly, (command) => command === 'kubectl')).not.toThrow()
    expect(() => checkPrerequisites(kubectlOnly, () => false)).toThrow(/kubectl/)
  })
})
