// The tools a real run needs, checked before the first step so a missing one is named up front instead
// of failing halfway through a deploy.
import { spawnSync } from 'node:child_process'
import { isCommand, type Plan } from './plan.ts'

type Prerequisite = { name: string; probe: { command: string; args: string[] }; install: string }

const kubectl: Prerequisite = {
  name: 'kubectl',
  probe: { command: 'kubectl', args: ['version', '--client'] },
  install: 'install kubectl (Docker Desktop ships one; https://kubernetes.io/docs/tasks/tools/)',
}
const kn: Prerequisite = {
  name: 'kn',
  probe: { command: 'kn', args: ['version'] },
  install: 'install the Knative CLI kn (README: "Deploy on Docker Desktop Kubernetes")',
}
const knFunc: Prerequisite = {
  name: 'kn func',
  probe: { command: 'kn', args: ['func', 'version'] },
  install: 'install the func plugin as kn-func on the PATH (README: "Deploy on Docker Desktop Kubernetes")',
}

/** Answers whether a probe command runs and exits 0. */
export type Probe = (command: string, args: string[]) => boolean

export const runProbe: Probe = (command, args) =>
  spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0

export class MissingPrerequisiteError extends Error {
  readonly missing: string[]
  constructor(missing: Prerequisite[]) {
    super(
      `missing prerequisite(s): ${missing.map((m) => m.name).join(', ')}\n` +
        missing.map((m) => `  - ${m.name}: ${m.install}`).join('\n') +
        '\n(--dry-run prints the plan without any of them)',
    )
    this.name = 'MissingPrerequisiteError'
    this.missing = missing.map((m) => m.name)
  }
}

/** A container CLI (docker, podman) whose `version` also reaches its engine, which a build needs. */
const containerCli = (command: string): Prerequisite => ({
  name: command,
  probe: { command, args: ['version'] },
  install: `install and start ${command} (or set --container-cli; --build=false deploys images built before)`,
})

/** Throws MissingPrerequisiteError listing every tool the plan uses that does not run. */
export function checkPrerequisites(plan: Plan, probe: Probe = runProbe): void {
  const commands = new Set(plan.steps.filter(isCommand).map((step) => step.command))
  const needed = [kubectl]
  if (commands.has('kn')) needed.push(kn, knFunc)
  for (const command of commands)
    if (command !== 'kubectl' && command !== 'kn') needed.push(containerCli(command))
  const missing: Prerequisite[] = []
  for (const prerequisite of needed) {
    // kn func is a plugin of kn: without kn, it is missing too.
    if (prerequisite === knFunc && missing.includes(kn)) missing.push(knFunc)
    else if (!probe(prerequisite.probe.command, prerequisite.probe.args)) missing.push(prerequisite)
  }
  if (missing.length > 0) throw new MissingPrerequisiteError(missing)
}
