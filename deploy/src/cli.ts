// `npm run deploy -- --overlay dev`, `npm run undeploy -- --overlay dev`, `npm run describe -- --overlay dev`:
// builds the plan, proves its order (plan-check.ts), then prints it (--dry-run), runs it, or describes
// what it deploys where. Exit code 2 for bad settings, 1 for an unsound plan or a failed run.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { KustomizeError } from '../../sources/src/kustomize.ts'
import { clusterPrerequisites, publicImages } from './cluster-prerequisites.ts'
import {
  type DeployAction,
  DeployConfigError,
  parseDeployConfig,
  usage,
  withRepositoryDefaults,
} from './config.ts'
import { describeDeployment } from './describe.ts'
import { executePlan, StepFailedError } from './execute.ts'
import { checkoutImageTag } from './image-tag.ts'
import { readDeployInventory } from './inventory.ts'
import { buildDeployPlan, buildUndeployPlan, PlanError } from './plan.ts'
import { assertPlanSound, PlanCheckError } from './plan-check.ts'
import { checkPrerequisites, MissingPrerequisiteError } from './prerequisites.ts'
import { renderPlan } from './render.ts'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))
const actions: readonly DeployAction[] = ['deploy', 'undeploy', 'describe']

async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv
  if (!actions.includes(action as DeployAction)) {
    console.error(`first argument must be ${actions.join(', ')}, got ${action ?? 'nothing'}\n\n${usage}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.info(usage)
    return 0
  }
  try {
    const given = parseDeployConfig(action as DeployAction, rest, process.env)
    const inventory = await readDeployInventory(repositoryRoot, given.overlay)
    const { version } = JSON.parse(readFileSync(`${repositoryRoot}/package.json`, 'utf8')) as {
      version: string
    }
    const config = withRepositoryDefaults(given, {
      namespace: inventory.namespace,
      // git is asked only when no tag was given.
      imageTag: given.imageTag ?? checkoutImageTag(repositoryRoot, version),
    })
    const context = {
      prerequisites: clusterPrerequisites(inventory.namespace).flatMap((p) => p.provides),
      publicImages,
    }
    if (config.action === 'describe') {
      process.stdout.write(describeDeployment(inventory, buildDeployPlan(inventory, config, context), config))
      return 0
    }
    const plan =
      config.action === 'deploy'
        ? buildDeployPlan(inventory, config, context)
        : buildUndeployPlan(inventory, config)
    if (plan.action === 'deploy') assertPlanSound(plan)
    if (config.dryRun) {
      process.stdout.write(renderPlan(plan))
      if (plan.action === 'deploy')
        process.stdout.write('\n# plan check: every need is created before it is used\n')
      return 0
    }
    if (plan.placeholders.length > 0) {
      throw new PlanError(`refusing to deploy placeholder settings:\n  - ${plan.placeholders.join('\n  - ')}`)
    }
    checkPrerequisites(plan)
    // Commands use repository-relative paths.
    process.chdir(repositoryRoot)
    await executePlan(plan)
    return 0
  } catch (error) {
    if (error instanceof DeployConfigError || error instanceof PlanError || error instanceof KustomizeError) {
      console.error(error.message)
      return 2
    }
    if (
      error instanceof PlanCheckError ||
      error instanceof MissingPrerequisiteError ||
      error instanceof StepFailedError
    ) {
      console.error(error.message)
      return 1
    }
    throw error
  }
}

process.exitCode = await main(process.argv.slice(2))
