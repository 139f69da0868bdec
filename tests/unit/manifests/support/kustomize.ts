// A small kustomize renderer for the subset this repository uses, so the overlays can be rendered and
// validated offline (no kustomize build installs from the npm registry alone).
//
// Supported, with kustomize's semantics:
// - `resources`: files (inside the kustomization root, like kustomize's default load restrictor) and
//   directories anywhere that hold a kustomization.yaml; duplicate resource ids are an error.
// - `patches` (strategic merge, from `path` or inline `patch`, optional `target` by kind/name):
//   maps merge recursively, `null` deletes a key, lists are replaced. That is kustomize's behaviour
//   for custom resources (no patch-merge keys without an OpenAPI schema) and for every field patched
//   here. A patch that matches nothing is an error, as in kustomize.
// - `namespace`: sets metadata.namespace on namespaced resources.
// - `labels` with `includeSelectors: false` and no `includeTemplates`: metadata.labels only.
// Every other kustomization field is an error, so a future overlay cannot silently use a feature this
// renderer ignores. tests/unit/manifests compares the output with `kubectl kustomize` where present.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'

export type KubernetesObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown }
  [key: string]: unknown
}

export class KustomizeError extends Error {
  readonly kustomizationDir: string
  constructor(kustomizationDir: string, message: string) {
    super(`${kustomizationDir}: ${message}`)
    this.name = 'KustomizeError'
    this.kustomizationDir = kustomizationDir
  }
}

const patchTarget = z
  .object({
    group: z.string().optional(),
    version: z.string().optional(),
    kind: z.string().optional(),
    name: z.string().optional(),
  })
  .strict()

const kustomizationSchema = z
  .object({
    apiVersion: z.literal('kustomize.config.k8s.io/v1beta1').optional(),
    kind: z.literal('Kustomization').optional(),
    resources: z.array(z.string().min(1)).default([]),
    namespace: z.string().min(1).optional(),
    patches: z
      .array(
        z
          .object({
            path: z.string().optional(),
            patch: z.string().optional(),
            target: patchTarget.optional(),
          })
          .strict()
          .refine(
            (p) => (p.path === undefined) !== (p.patch === undefined),
            'a patch needs exactly one of path or patch',
          ),
      )
      .default([]),
    labels: z
      .array(
        z
          .object({
            pairs: z.record(z.string(), z.string()),
            includeSelectors: z.literal(false).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()

export type Kustomization = z.output<typeof kustomizationSchema>

const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']

// Kinds without a namespace: kustomize's namespace transformer leaves them alone.
const clusterScopedKinds = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
])

export function kustomizationFile(dir: string): string | undefined {
  return kustomizationFileNames.map((file) => join(dir, file)).find((file) => existsSync(file))
}

export function readKustomization(dir: string): Kustomization {
  const file = kustomizationFile(dir)
  if (file === undefined) throw new KustomizeError(dir, 'no kustomization.yaml')
  const parsed = kustomizationSchema.safeParse(parseYamlDocuments(dir, file)[0] ?? {})
  if (!parsed.success) {
    throw new KustomizeError(
      dir,
      parsed.error.issues.map((i) => `${i.path.join('.') || '/'}: ${i.message}`).join('; '),
    )
  }
  return parsed.data
}

function parseYamlDocuments(dir: string, file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) {
        throw new KustomizeError(dir, `${file}: ${document.errors.map((e) => e.message).join('; ')}`)
      }
      return document.toJS() as unknown
    })
    .filter((value) => value !== null && value !== undefined)
}

function asObject(dir: string, file: string, value: unknown): KubernetesObject {
  const object = value as Partial<KubernetesObject>
  if (
    typeof object?.apiVersion !== 'string' ||
    typeof object.kind !== 'string' ||
    typeof object.metadata?.name !== 'string'
  ) {
    throw new KustomizeError(dir, `${file}: every resource needs apiVersion, kind and metadata.name`)
  }
  return object as KubernetesObject
}

/** kustomize's resource id: group, kind, namespace, name (the version is not part of it). */
export function resourceId(object: KubernetesObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
}

function insideRoot(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)
}

type PlainObject = Record<string, unknown>
const isPlainObject = (value: unknown): value is PlainObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** Strategic merge as kustomize applies it to custom resources: see the header. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch)
  const merged: PlainObject = structuredClone(base)
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = key in merged ? strategicMerge(merged[key], value) : structuredClone(value)
  }
  return merged
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : ''
}

function applyPatch(
  dir: string,
  resources: KubernetesObject[],
  patch: KubernetesObject,
  target: z.output<typeof patchTarget> | undefined,
): void {
  const matches = resources.filter((resource) => {
    if (target !== undefined) {
      return (
        (target.kind === undefined || target.kind === resource.kind) &&
        (target.name === undefined || target.name === resource.metadata.name) &&
        (target.group === undefined || target.group === groupOf(resource.apiVersion))
      )
    }
    return (
      resource.kind === patch.kind &&
      groupOf(resource.apiVersion) === groupOf(patch.apiVersion) &&
      resource.metadata.name === patch.metadata.name &&
      (patch.metadata.namespace === undefined || patch.metadata.namespace === resource.metadata.namespace)
    )
  })
  if (matches.length === 0) {
    throw new KustomizeError(dir, `patch for ${patch.kind}/${patch.metadata.name} matches no resource`)
  }
  for (const match of matches) {
    const { apiVersion: _apiVersion, kind: _kind, ...body } = patch
    const bodyWithoutName =
      target === undefined ? body : { ...body, metadata: { ...body.metadata, name: undefined } }
    const merged = strategicMerge(match, JSON.parse(JSON.stringify(bodyWithoutName))) as KubernetesObject
    resources.splice(resources.indexOf(match), 1, merged)
  }
}

/** Renders the kustomization in `dir` the way `kubectl kustomize dir` would (for the supported subset). */
export function renderKustomization(dir: string, visiting: string[] = []): KubernetesObject[] {
  const root = resolve(dir)
  if (visiting.includes(root)) throw new KustomizeError(root, `cycle: ${[...visiting, root].join(' -> ')}`)
  const kustomization = readKustomization(root)
  const resources: KubernetesObject[] = []
  const seen = new Set<string>()
  const add = (object: KubernetesObject) => {
    const id = resourceId(object)
    if (seen.has(id)) throw new KustomizeError(root, `resource ${id} is included twice`)
    seen.add(id)
    resources.push(object)
  }

  for (const entry of kustomization.resources) {
    const path = resolve(root, entry)
    if (!existsSync(path)) throw new KustomizeError(root, `resource ${entry} does not exist`)
    if (statSync(path).isDirectory()) {
      for (const object of renderKustomization(path, [...visiting, root])) add(object)
    } else {
      if (!insideRoot(root, path)) {
        throw new KustomizeError(
          root,
          `file ${entry} is outside the kustomization root (kustomize's load restrictor refuses it)`,
        )
      }
      for (const document of parseYamlDocuments(root, path)) add(asObject(root, path, document))
    }
  }

  for (const patch of kustomization.patches) {
    let documents: unknown[]
    if (patch.path !== undefined) {
      const path = resolve(root, patch.path)
      if (!insideRoot(root, path))
        throw new KustomizeError(root, `patch ${patch.path} is outside the kustomization root`)
      if (!existsSync(path)) throw new KustomizeError(root, `patch ${patch.path} does not exist`)
      documents = parseYamlDocuments(root, path)
    } else {
      documents = parseAllDocuments(patch.patch ?? '').map((d) => d.toJS() as unknown)
    }
    for (const document of documents)
      applyPatch(root, resources, asObject(root, patch.path ?? 'inline patch', document), patch.target)
  }

  if (kustomization.namespace !== undefined) {
    for (const resource of resources) {
      if (!clusterScopedKinds.has(resource.kind)) resource.metadata.namespace = kustomization.namespace
    }
  }

  for (const { pairs } of kustomization.labels) {
    for (const resource of resources) resource.metadata.labels = { ...resource.metadata.labels, ...pairs }
  }
  return resources
}

/** Every file a kustomization tree uses as a patch (those are partial documents, not resources). */
export function patchFiles(dir: string): string[] {
  const root = resolve(dir)
  const kustomization = readKustomization(root)
  const own = kustomization.patches.flatMap((p) => (p.path === undefined ? [] : [resolve(root, p.path)]))
  const nested = kustomization.resources
    .map((entry) => resolve(root, entry))
    .filter((path) => existsSync(path) && statSync(path).isDirectory())
    .flatMap((path) => patchFiles(path))
  return [...new Set([...own, ...nested])]
}
