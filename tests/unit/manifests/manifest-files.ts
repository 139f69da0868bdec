// Which files of the repository are Kubernetes manifests, kustomizations, patches or func.yaml, and the
// overlays as a cluster receives them (`kubectl kustomize`).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parse } from 'yaml'
import { type KubernetesObject, renderKustomization } from '../../../sources/src/kustomize.ts'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'

/** Folders whose YAML is applied to a cluster (brokers/local/ is the local broker, not a manifest). */
export const manifestRoots = ['brokers', 'sources', 'manifests']
const excluded = [join('brokers', 'local')]

export const overlays = [
  'manifests/overlays/dev',
  'manifests/overlays/prod',
  'manifests/overlays/example',
  'manifests/monitoring',
  'brokers/cluster/overlays/dev',
  'brokers/cluster/overlays/prod',
]

/** An overlay (a folder relative to the repository) rendered by `kubectl kustomize`. */
export function renderOverlay(overlay: string): KubernetesObject[] {
  return renderKustomization(join(repoRoot, overlay))
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (excluded.includes(relative(repoRoot, path)) || entry === 'node_modules') return []
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
const isKustomization = (file: string) => /(^|\/)kustomization\.ya?ml$/.test(file)

type Kustomization = { resources?: string[]; patches?: { path?: string }[] }

/** Every file a kustomization tree uses as a patch (`patches[].path`, here and in directory resources). */
function patchFiles(dir: string): string[] {
  const file = kustomizationFileNames.map((name) => join(dir, name)).find((path) => existsSync(path))
  if (file === undefined) throw new Error(`${dir} holds no kustomization.yaml`)
  const kustomization = (parse(readFileSync(file, 'utf8')) ?? {}) as Kustomization
  const own = (kustomization.patches ?? []).flatMap((patch) =>
    patch.path === undefined ? [] : [resolve(dir, patch.path)],
  )
  const nested = (kustomization.resources ?? [])
    .map((entry) => resolve(dir, entry))
    .filter((path) => existsSync(path) && statSync(path).isDirectory())
    .flatMap(patchFiles)
  return [...own, ...nested]
}

/** Every patch file any overlay uses: partial documents, validated only after rendering. */
export function allPatchFiles(): Set<string> {
  return new Set(overlays.flatMap((overlay) => patchFiles(join(repoRoot, overlay))))
}

/** Every YAML file under the manifest roots that holds whole resources. */
export function resourceFiles(): string[] {
  const patches = allPatchFiles()
  return manifestRoots
    .flatMap((root) => walk(join(repoRoot, root)))
    .filter((file) => /\.ya?ml$/.test(file) && !isKustomization(file) && !patches.has(file))
    .sort()
}

export function funcYamlFiles(): string[] {
  const functionsDir = join(repoRoot, 'functions')
  if (!existsSync(functionsDir)) return []
  return readdirSync(functionsDir)
    .map((name) => join(functionsDir, name, 'func.yaml'))
    .filter((file) => existsSync(file))
}

/**
 * The whole system read straight from the files (not rendered): what the invariants check. Without
 * manifests/monitoring, applied on its own and only where the Prometheus Operator runs.
 */
export function systemResources(): KubernetesObject[] {
  const prodPools = join(repoRoot, 'brokers/cluster/overlays/prod/node-pools.yaml')
  return resourceFiles()
    .filter(
      (file) =>
        !file.includes(`${join('overlays', 'dev')}`) &&
        (file === prodPools || !file.includes('overlays')) &&
        !file.includes(join('manifests', 'monitoring')),
    )
    .flatMap((file) => readYamlDocuments(file) as KubernetesObject[])
}
