// What the repository declares for a deploy of one overlay: the objects as kubectl kustomize renders them
// (what the cluster receives) and the function folders with their func.yaml references.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { readFunctionSpec } from '../../local/src/serving/function-spec.ts'
import { type KubernetesObject, renderKustomization } from '../../sources/src/kustomize.ts'
import { type DeployInventory, type FunctionFolder, type Overlay, PlanError, paths } from './plan.ts'

/** Folders under functions/ holding a func.yaml, sorted by name so plans are stable. */
async function readFunctionFolders(rootDir: string): Promise<FunctionFolder[]> {
  const functionsDir = join(rootDir, 'functions')
  const folders = readdirSync(functionsDir)
    .filter((name) => statSync(join(functionsDir, name)).isDirectory())
    .filter((name) => statSync(join(functionsDir, name, 'func.yaml'), { throwIfNoEntry: false })?.isFile())
    .sort()
  return Promise.all(
    folders.map(async (folder) => {
      const spec = await readFunctionSpec(join(functionsDir, folder))
      return { name: spec.name, path: `functions/${folder}`, references: spec.references }
    }),
  )
}

function single(values: Iterable<string | undefined>, what: string): string {
  const distinct = [...new Set(values)]
  if (distinct.length !== 1 || distinct[0] === undefined) {
    throw new PlanError(
      `the manifests must declare exactly one ${what}, found: ${distinct.join(', ') || 'none'}`,
    )
  }
  return distinct[0]
}

function readObjects(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null)
}

export async function readDeployInventory(rootDir: string, overlay: Overlay): Promise<DeployInventory> {
  const systemObjects = renderKustomization(join(rootDir, paths.system(overlay)))
  const brokerObjects = renderKustomization(join(rootDir, paths.brokers(overlay)))
  const namespaceObjects = readObjects(join(rootDir, paths.namespace))
  const monitoringObjects = renderKustomization(join(rootDir, paths.monitoring))
  return {
    namespace: single(
      namespaceObjects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
      `Namespace in ${paths.namespace}`,
    ),
    kafkaCluster: single(
      systemObjects
        .filter((o) => o.kind === 'KafkaTopic')
        .map((o) => o.metadata.labels?.['strimzi.io/cluster']),
      'Kafka cluster (label strimzi.io/cluster on the topics)',
    ),
    namespaceObjects,
    brokerObjects,
    systemObjects,
    monitoringObjects,
    functions: await readFunctionFolders(rootDir),
  }
}
