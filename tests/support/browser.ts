// A real browser for tests that must see what a person sees: Debian's chromium (apt-get install chromium;
// .ci/run installs it), driven by playwright-core, which downloads no browser of its own. Gated by
// services.ts: locally a missing chromium skips the suite with a printed reason; under CI=true it fails.
import { execFileSync } from 'node:child_process'
import { type Browser, chromium } from 'playwright-core'
import { toolAvailable } from './services.ts'

/** The chromium on the PATH (`command -v chromium`) that answers `--version`, or the reason there is none. */
function findChromium(): { path: string } | { reason: string } {
  let path: string
  try {
    path = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim()
  } catch {
    return { reason: 'chromium is not on the PATH (Debian: apt-get install -y chromium)' }
  }
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore', timeout: 30_000 })
    return { path }
  } catch (error) {
    return { reason: `${path} --version failed: ${error instanceof Error ? error.message : String(error)}` }
  }
}

let found: ReturnType<typeof findChromium> | undefined

/**
 * Whether a headless chromium can be launched here. Suites that need one run only when this is true:
 * `describe.runIf(chromiumAvailable())`.
 */
export function chromiumAvailable(): boolean {
  found ??= findChromium()
  return toolAvailable(
    { tool: 'chromium', purpose: 'for the browser tests', suites: 'suites that need a browser' },
    'path' in found ? null : found.reason,
  )
}

/** Launches headless chromium; the caller closes it (`await browser.close()` in afterAll). */
export async function launchChromium(): Promise<Browser> {
  found ??= findChromium()
  if (!('path' in found)) throw new Error(found.reason)
  return chromium.launch({
    executablePath: found.path,
    // playwright-core adds its own headless flag; these are the ones a root user in a container needs.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}
