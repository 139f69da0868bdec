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
 * The gate for a tool found synchronously: true when `problem` is null; else a failure under CI=true, a
 * printed skip reason locally.
 */
export function toolAvailable(
  gate: { tool: string; purpose: string; suites: string },
  problem: string | null,
): boolean {
  if (problem === null) return true
  if (inCi) throw new Error(`${gate.tool} is required under CI=true ${gate.purpose}: ${problem}`)
  console.warn(`[skip] ${problem}: ${gate.suites} are skipped`)
  return false
}

/**
 * Whether `kubectl kustomize` can render the overlays here (kubectl is not an npm package). Suites that
 * render an overlay run only when this is true: `describe.runIf(kubectlAvailable())`.
 */
export function kubectlAvailable(): boolean {
  return toolAvailable(
    {
      tool: 'kubectl',
      purpose: 'to render the kustomize overlays',
      suites: 'suites that render a kustomize overlay',
    },
    kustomizeAvailable()
      ? null
      : 'kubectl is not installed or does not run (https://kubernetes.io/docs/tasks/tools/)',
  )
}
