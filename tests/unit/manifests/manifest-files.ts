// Which files of the repository are Kubernetes manifests, kustomizations, patches or func.yaml.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'
import { type KubernetesObject, kustomizationFile, patchFiles } from './support/kustomize.ts'

/** Folders whose YAML is applied to a cluster (brokers/local/ is the local broker, not a manifest). */
export const manifestRoots = ['brokers', 'sources', 'manifests']
const excluded = [join('brokers', 'local')]

export const overlays = [
  'manifests/overlays/dev',
  'manifests/overlays/prod',
  'brokers/cluster/overlays/dev',
  'brokers/cluster/overlays/prod',
]

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (excluded.includes(relative(repoRoot, path)) || entry === 'node_modules') return []
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const isKustomization = (file: string) => /(^|\/)kustomization\.ya?ml$/.test(file)

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

/** The whole system read straight from the files (not rendered): what the invariants check. */
export function systemResources(): KubernetesObject[] {
  const prodPools = join(repoRoot, 'brokers/cluster/overlays/prod/node-pools.yaml')
  return resourceFiles()
    .filter(
      (file) =>
        !file.includes(`${join('overlays', 'dev')}`) && (file === prodPools || !file.includes('overlays')),
    )
    .flatMap((file) => readYamlDocuments(file) as KubernetesObject[])
}

export { kustomizationFile }
