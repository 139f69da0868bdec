// Renders a kustomization the way a cluster receives it: with the kustomize built into kubectl. No
// JavaScript implementation of kustomize is maintained, and the deploy applies with kubectl anyway, so
// what the deploy plan, `npm start --overlay` and the tests read is byte for byte what a cluster gets.
import { execFileSync } from 'node:child_process'
import { parseAllDocuments } from 'yaml'

export type KubernetesObject = {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [key: string]: unknown
  }
  [key: string]: unknown
}

export class KustomizeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KustomizeError'
  }
}

const kubectlMissing =
  'kubectl is needed to render the kustomize overlays (kubectl kustomize); install it: ' +
  'https://kubernetes.io/docs/tasks/tools/'

/** Whether `kubectl kustomize` can run here (kubectl on the PATH). */
export function kustomizeAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}

/** The objects `kubectl kustomize <dir>` prints, in its order. Throws KustomizeError with kubectl's reason. */
export function renderKustomization(dir: string): KubernetesObject[] {
  let text: string
  try {
    text = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    })
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string }
    if (failure.code === 'ENOENT') throw new KustomizeError(kubectlMissing)
    throw new KustomizeError(
      `kubectl kustomize ${dir} failed: ${String(failure.stderr ?? failure.message).trim()}`,
    )
  }
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null)
}

/** kustomize's resource id: group, kind, namespace, name (the version is not part of it). */
export function resourceId(object: KubernetesObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
}
