// What the repository declares for a deploy, read through the project's own loaders: the typed manifest
// loader (sources/src/manifests.ts) and the func.yaml reader of the local runtime. No YAML is parsed here.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readFunctionSpec } from '../../local/src/serving/function-spec.ts'
import { buildSystemManifests, readManifestDocuments } from '../../sources/src/manifests.ts'
import { type DeployInventory, PlanError } from './plan.ts'

const functionLabel = 'function.knative.dev/name'

/** Folders under functions/ holding a func.yaml, sorted by name so plans are stable. */
async function readFunctionFolders(rootDir: string): Promise<DeployInventory['functions']> {
  const functionsDir = join(rootDir, 'functions')
  const folders = readdirSync(functionsDir)
    .filter((name) => statSync(join(functionsDir, name)).isDirectory())
    .filter((name) => statSync(join(functionsDir, name, 'func.yaml'), { throwIfNoEntry: false })?.isFile())
    .sort()
  return Promise.all(
    folders.map(async (folder) => {
      const spec = await readFunctionSpec(join(functionsDir, folder))
      return { name: spec.name, path: `functions/${folder}` }
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

export async function readDeployInventory(rootDir: string): Promise<DeployInventory> {
  const documents = readManifestDocuments(rootDir)
  const system = buildSystemManifests(documents)
  const namespace = single(
    [...system.services, ...system.kafkaSources, ...system.kafkaSinks].map((m) => m.namespace),
    'namespace',
  )
  return {
    namespace,
    kafkaCluster: single(
      system.topics.map((t) => t.cluster),
      'Kafka cluster (label strimzi.io/cluster on the topics)',
    ),
    topics: system.topics.map((t) => t.resourceName),
    kafkaSources: system.kafkaSources.map((s) => ({
      name: s.name,
      sinkService: s.sink.ref?.kind === 'Service' ? s.sink.ref.name : undefined,
    })),
    kafkaSinks: system.kafkaSinks.map((s) => s.name),
    pingSources: system.pingSources.map((s) => s.name),
    sinkBindings: system.sinkBindings.map((s) => s.name),
    services: system.services.map((s) => ({
      name: s.name,
      isFunction: s.labels[functionLabel] !== undefined,
    })),
    functions: await readFunctionFolders(rootDir),
    credentialJobs: documents.sources
      .filter((d) => d.value.kind === 'CronJob')
      .map((d) => String((d.value.metadata as { name?: unknown } | undefined)?.name)),
  }
}
