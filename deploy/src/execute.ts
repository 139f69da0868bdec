// The thin executor: runs a plan's steps one by one with the child's output on the terminal, and stops
// at the first failure with an error that names the step.
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type CommandStep, isCommand, type Plan, type Step } from './plan.ts'
import { stepHeading, stepText } from './render.ts'

export type StepOutcome = { exitCode: number; stdout?: string } | { spawnError: string }

/** Runs one command; injected so tests can drive the executor without a cluster. */
export type CommandRunner = (step: CommandStep) => Promise<StepOutcome>

/** Writes one file of the plan (relative to the working directory); injected for the same reason. */
export type FileWriter = (path: string, content: string) => Promise<void>

export const writePlanFile: FileWriter = async (path, content) => {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, content)
}

export class StepFailedError extends Error {
  readonly step: Step
  /** 1-based, as printed in the progress lines. */
  readonly stepNumber: number
  constructor(plan: Plan, index: number, detail: string) {
    const step = plan.steps[index] as Step
    super(
      `${plan.action} failed at ${stepHeading(plan, index)}\n  $ ${stepText(step).split('\n')[0]}\n  ${detail}`,
    )
    this.name = 'StepFailedError'
    this.step = step
    this.stepNumber = index + 1
  }
}

/** Runs with inherited stdio; stdout is captured only when the step checks it. */
export const runCommand: CommandRunner = (step) =>
  new Promise((resolve) => {
    const capture = step.expectStdout !== undefined
    const child = spawn(step.command, step.args, {
      stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'],
    })
    let stdout = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.on('error', (error) => resolve({ spawnError: error.message }))
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal === null ? 1 : 128), ...(capture ? { stdout } : {}) }),
    )
  })

export async function executePlan(
  plan: Plan,
  run: CommandRunner = runCommand,
  log: (line: string) => void = console.info,
  write: FileWriter = writePlanFile,
): Promise<void> {
  for (const warning of plan.warnings) log(`warning: ${warning}`)
  for (const [index, step] of plan.steps.entries()) {
    log(`\n${stepHeading(plan, index)}\n$ ${stepText(step)}`)
    if (!isCommand(step)) {
      try {
        await write(step.writeFile.path, step.writeFile.content)
      } catch (error) {
        throw new StepFailedError(plan, index, `could not write: ${(error as Error).message}`)
      }
      continue
    }
    const outcome = await run(step)
    if ('spawnError' in outcome)
      throw new StepFailedError(plan, index, `could not start: ${outcome.spawnError}`)
    if (outcome.exitCode !== 0) throw new StepFailedError(plan, index, `exited with code ${outcome.exitCode}`)
    if (step.expectStdout !== undefined && outcome.stdout?.trim() !== step.expectStdout) {
      throw new StepFailedError(
        plan,
        index,
        `expected output "${step.expectStdout}", got "${outcome.stdout?.trim() ?? ''}"`,
      )
    }
  }
  log(`\n${plan.action} (${plan.overlay}) done: ${plan.steps.length} steps`)
}
