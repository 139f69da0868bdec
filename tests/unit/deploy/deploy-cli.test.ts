import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readDeployInventory } from '../../../deploy/src/inventory.ts'
import { buildDeployPlan, buildUndeployPlan, type Overlay } from '../../../deploy/src/plan.ts'
import { commandLine } from '../../../deploy/src/render.ts'
import { settingsFor } from './fixtures.ts'

// Runs the CLI as npm would, with kubectl and kn on the PATH replaced by scripts that leave a mark:
// a dry run must print every command and leave no mark.
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))
const cli = join(repositoryRoot, 'deploy/src/cli.ts')
const fakeBin = mkdtempSync(join(tmpdir(), 'taskflow-deploy-'))
const marks = join(fakeBin, 'ran')
for (const tool of ['kubectl', 'kn']) {
  writeFileSync(join(fakeBin, tool), `#!/bin/sh\necho "${tool} $*" >> '${marks}'\n`)
  chmodSync(join(fakeBin, tool), 0o755)
}
afterAll(() => rmSync(fakeBin, { recursive: true, force: true }))

function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { PATH: `${fakeBin}:${dirname(process.execPath)}`, ...env },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe.each(['dev', 'prod'] as Overlay[])('CLI --dry-run, overlay %s', (overlay) => {
  it('prints every deploy command in plan order and executes nothing', async () => {
    const result = runCli([
      'deploy',
      '--overlay',
      overlay,
      '--dry-run',
      '--registry',
      'localhost:5000/taskflow',
    ])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const expected = buildDeployPlan(await readDeployInventory(repositoryRoot), settingsFor({ overlay }))
    const printed = result.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
    expect(printed).toEqual(expected.steps.map(commandLine))
    expect(existsSync(marks)).toBe(false)
  })

  it('prints every undeploy command and executes nothing', async () => {
    const result = runCli(['undeploy', '--overlay', overlay, '--dry-run'], { TASKFLOW_KUBE_CONTEXT: 'dd' })
    expect(result.status).toBe(0)
    const expected = buildUndeployPlan(
      await readDeployInventory(repositoryRoot),
      settingsFor({ overlay, kubeContext: 'dd' }),
    )
    const printed = result.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
    expect(printed).toEqual(expected.steps.map(commandLine))
    expect(existsSync(marks)).toBe(false)
  })
})

describe('CLI errors', () => {
  it('exits 2 with the problem and the usage for an unknown overlay', () => {
    const result = runCli(['deploy', '--overlay', 'staging', '--dry-run'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/--overlay \(TASKFLOW_OVERLAY\): must be one of dev, prod, got "staging"/)
    expect(result.stderr).toMatch(/usage: npm run deploy/)
    expect(result.stdout).toBe('')
  })

  it('exits 2 without running anything when a real deploy has no registry', () => {
    const result = runCli(['deploy', '--overlay', 'dev'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/--registry \(TASKFLOW_REGISTRY\): required to deploy/)
    expect(existsSync(marks)).toBe(false)
  })

  it('exits 2 for a missing action', () => {
    const result = runCli(['--overlay', 'dev'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/first argument must be deploy or undeploy/)
  })

  it('names the missing tools of a real run before running any step', () => {
    // Only node on the PATH: neither kubectl nor kn.
    const result = spawnSync(process.execPath, [cli, 'undeploy', '--overlay', 'dev'], {
      encoding: 'utf8',
      env: { PATH: dirname(process.execPath) },
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/missing prerequisite\(s\): kubectl, kn, kn func/)
  })
})
