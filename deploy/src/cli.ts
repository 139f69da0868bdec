// `npm run deploy -- --overlay dev` / `npm run undeploy -- --overlay dev`: builds the plan, then prints it
// (--dry-run) or checks the tools and runs it. Exit code 2 for bad settings, 1 for a failed run.
import { fileURLToPath } from 'node:url'
import { type DeployAction, DeployConfigError, readDeployConfig, usage } from './config.ts'
import { executePlan, StepFailedError } from './execute.ts'
import { readDeployInventory } from './inventory.ts'
import { buildDeployPlan, buildUndeployPlan, PlanError } from './plan.ts'
import { checkPrerequisites, MissingPrerequisiteError } from './prerequisites.ts'
import { renderPlan } from './render.ts'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv
  if (action !== 'deploy' && action !== 'undeploy') {
    console.error(`first argument must be deploy or undeploy, got ${action ?? 'nothing'}\n\n${usage}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.info(usage)
    return 0
  }
  try {
    const inventory = await readDeployInventory(repositoryRoot)
    const config = readDeployConfig(action as DeployAction, rest, process.env, inventory.namespace)
    const plan =
      config.action === 'deploy' ? buildDeployPlan(inventory, config) : buildUndeployPlan(inventory, config)
    if (config.dryRun) {
      process.stdout.write(renderPlan(plan))
      return 0
    }
    checkPrerequisites(plan)
    // Commands use repository-relative paths.
    process.chdir(repositoryRoot)
    await executePlan(plan)
    return 0
  } catch (error) {
    if (error instanceof DeployConfigError || error instanceof PlanError) {
      console.error(error.message)
      return 2
    }
    if (error instanceof MissingPrerequisiteError || error instanceof StepFailedError) {
      console.error(error.message)
      return 1
    }
    throw error
  }
}

process.exitCode = await main(process.argv.slice(2))
