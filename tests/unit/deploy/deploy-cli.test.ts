import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { buildDeployPlan, buildUndeployPlan, type Overlay } from '../../../deploy/src/plan.ts'
import { stepText } from '../../../deploy/src/render.ts'
import { kubectlPresent, planContext, repositoryInventory, repositoryRoot, settingsFor } from './fixtures.ts'

// Runs the CLI as npm would, with kubectl, kn and docker on the PATH replaced by scripts that leave a
// mark (kubectl kustomize goes to the real kubectl: the plan renders the overlays with it). A dry run
// must print every step and leave no mark.
const cli = join(repositoryRoot, 'deploy/src/cli.ts')
const fakeBin = mkdtempSync(join(tmpdir(), 'taskflow-deploy-'))
const marks = join(fakeBin, 'ran')
const realKubectl = kubectlPresent
  ? execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim()
  : 'kubectl'
writeFileSync(
  join(fakeBin, 'kubectl'),
  `#!/bin/sh\nif [ "$1" = kustomize ] || [ "$1" = version ]; then exec '${realKubectl}' "$@"; fi\necho "kubectl $*" >> '${marks}'\n`,
)
// `kn version` and `kn func version` are the prerequisite probes: they answer without a mark.
writeFileSync(
  join(fakeBin, 'kn'),
  `#!/bin/sh\ncase "$*" in *version) exit 0;; esac\necho "kn $*" >> '${marks}'\n`,
)
for (const tool of ['kubectl', 'kn']) chmodSync(join(fakeBin, tool), 0o755)
afterAll(() => rmSync(fakeBin, { recursive: true, force: true }))
beforeEach(() => rmSync(marks, { force: true }))

function runCli(
  args: string[],
  env: Record<string, string> = {},
  path = `${fakeBin}:${dirname(process.execPath)}:/usr/bin:/bin`,
) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { PATH: path, TASKFLOW_IMAGE_TAG: '0.1.0-test', ...env },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
/** The text of each printed step: what follows its `# [n/m]` heading, without trailing comments. */
const printedSteps = (stdout: string) =>
  stdout
    .split('\n# [')
    .slice(1)
    .map((block) => {
      const lines = block.split('\n').slice(1)
      while (lines.length > 0 && (lines.at(-1) === '' || lines.at(-1)?.startsWith('#'))) lines.pop()
      return lines.join('\n')
    })

describe.runIf(kubectlPresent).each(['dev', 'prod'] as Overlay[])('CLI --dry-run, overlay %s', (overlay) => {
  it('prints every deploy step in plan order, says the checker accepted it, and executes nothing', async () => {
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
    const expected = buildDeployPlan(
      await repositoryInventory(overlay),
      settingsFor({ overlay }),
      planContext,
    )
    expect(printedSteps(result.stdout)).toEqual(expected.steps.map((s) => stepText(s)))
    expect(result.stdout).toContain('# plan check: every need is created before it is used')
    expect(existsSync(marks)).toBe(false)
  })

  it('prints every undeploy command and executes nothing', async () => {
    const result = runCli(['undeploy', '--overlay', overlay, '--dry-run'], { TASKFLOW_KUBE_CONTEXT: 'dd' })
    expect(result.status).toBe(0)
    const expected = buildUndeployPlan(
      await repositoryInventory(overlay),
      settingsFor({ overlay, kubeContext: 'dd' }),
    )
    expect(printedSteps(result.stdout)).toEqual(expected.steps.map((s) => stepText(s)))
    expect(existsSync(marks)).toBe(false)
  })

  it('describes what goes where: images, event flow, Kafka and config, with the step that creates each', () => {
    const result = runCli(['describe', '--overlay', overlay, '--registry', 'localhost:5000/taskflow'])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(
      /^task-api +localhost:5000\/taskflow\/task-api:0\.1\.0-test \(built from api\/Dockerfile\) +\d-\d+ +kubectl apply +\d+$/m,
    )
    expect(result.stdout).toMatch(
      /^audit-log +localhost:5000\/taskflow\/audit-log \(kn func builds functions\/audit-log\) +0-5 +kn func deploy +\d+$/m,
    )
    expect(result.stdout).toMatch(
      /^KafkaSource\/audit-log +topics task-events \(group taskflow-audit-log, ordered\) +Service\/audit-log +KafkaSink\/dead-letters +\d+$/m,
    )
    expect(result.stdout).toMatch(/^topic +task-events +\d+ partitions, [13] replicas? +\d+$/m)
    expect(result.stdout).toMatch(/^ConfigMap +taskflow-shared-config +\S*NODE_ENV\S* +11$/m)
    expect(existsSync(marks)).toBe(false)
  })
})

describe.runIf(kubectlPresent)('CLI refusals', () => {
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

  it('exits 2 for a missing action, and for a function that does not exist', () => {
    expect(runCli(['--overlay', 'dev']).stderr).toMatch(/first argument must be deploy, undeploy, describe/)
    const result = runCli(['deploy', '--overlay', 'dev', '--dry-run', '--function', 'nope'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/--function nope: no functions\/\*\/func\.yaml names it/)
  })

  it('refuses a real deploy of placeholder settings (prod without its identity provider) before any step', () => {
    const result = runCli(['deploy', '--overlay', 'prod', '--registry', 'localhost:5000/taskflow'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(
      /refusing to deploy placeholder settings:\n( {2}- .*\n)* {2}- ConfigMap taskflow-shared-config AUTH_JWKS_URL=https:\/\/auth\.example\.com/,
    )
    expect(existsSync(marks)).toBe(false)
  })

  it('names the missing tools of a real run before running any step', () => {
    const result = runCli(
      ['deploy', '--overlay', 'dev', '--registry', 'localhost:5000/taskflow'],
      {},
      `${fakeBin}:${dirname(process.execPath)}`,
    )
    expect(result.status).toBe(1)
    // The fake kn answers; docker is not on this PATH.
    expect(result.stderr).toMatch(/missing prerequisite\(s\): docker\n {2}- docker: install and start docker/)
    expect(existsSync(marks)).toBe(false)
  })
})

describe('CLI without kubectl', () => {
  it('says kubectl is needed to render the overlays', () => {
    const result = spawnSync(process.execPath, [cli, 'deploy', '--overlay', 'dev', '--dry-run'], {
      encoding: 'utf8',
      env: { PATH: dirname(process.execPath) },
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/kubectl is needed to render the kustomize overlays/)
  })
})
