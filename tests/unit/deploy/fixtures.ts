import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { clusterPrerequisites, publicImages } from '../../../deploy/src/cluster-prerequisites.ts'
import { readDeployInventory } from '../../../deploy/src/inventory.ts'
import type { DeployInventory, DeploySettings, Overlay, PlanContext } from '../../../deploy/src/plan.ts'
import { serviceAvailable } from '../../support/services.ts'

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** The plan reads the overlays through `kubectl kustomize`: skipped with a reason without it, failed in CI. */
export const kubectlPresent = await serviceAvailable(
  'kubectl (kubectl kustomize renders the overlays)',
  async () => execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' }),
)

const inventories = new Map<Overlay, Promise<DeployInventory>>()
/** This repository's inventory for an overlay, rendered once per test file. */
export function repositoryInventory(overlay: Overlay): Promise<DeployInventory> {
  const cached = inventories.get(overlay) ?? readDeployInventory(repositoryRoot, overlay)
  inventories.set(overlay, cached)
  return cached
}

export const planContext: PlanContext = {
  prerequisites: clusterPrerequisites('taskflow').flatMap((p) => p.provides),
  publicImages,
}

export function settingsFor(overrides: Partial<DeploySettings> = {}): DeploySettings {
  return {
    overlay: 'dev',
    namespace: 'taskflow',
    registry: 'localhost:5000/taskflow',
    imageTag: '0.1.0-test',
    kubeContext: undefined,
    build: 'auto',
    push: true,
    containerCli: 'docker',
    function: undefined,
    monitoring: false,
    kafkaReadyTimeout: '15m',
    readyTimeout: '5m',
    shellEnv: [],
    ...overrides,
  }
}
