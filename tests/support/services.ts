// Gate for suites that need a real service or tool. Locally a missing one skips the suite with a
// printed reason; under CI=true it is a failure, so CI can never pass by skipping what it was meant to prove.
import { kustomizeAvailable } from '../../sources/src/kustomize.ts'

const inCi = process.env.CI === 'true'

export async function serviceAvailable(name: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe()
    return true
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (inCi) throw new Error(`${name} is required under CI=true but is unreachable: ${reason}`)
    console.warn(`[skip] ${name} unreachable (${reason}): suites that need it are skipped`)
    return false
  }
}

/**
 * Whether `kubectl kustomize` can render the overlays here (kubectl is not an npm package). Suites that
 * render an overlay run only when this is true: `describe.runIf(kubectlAvailable())`.
 */
export function kubectlAvailable(): boolean {
  if (kustomizeAvailable()) return true
  const reason = 'kubectl is not installed or does not run (https://kubernetes.io/docs/tasks/tools/)'
  if (inCi) throw new Error(`kubectl is required under CI=true to render the kustomize overlays: ${reason}`)
  console.warn(`[skip] ${reason}: suites that render a kustomize overlay are skipped`)
  return false
}
