import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const authEntry = fileURLToPath(new URL('../../../platform/src/auth/index.ts', import.meta.url))

describe('auth module', () => {
  it('bundles alone: nothing of the project but platform/src/auth and the env helper (the functions embed it)', async () => {
    const result = await build({
      entryPoints: [authEntry],
      absWorkingDir: repoRoot,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    })
    const sources = Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules/'))
    expect(sources.length).toBeGreaterThan(0)
    for (const source of sources) expect(source).toMatch(/^platform\/src\/(auth\/|env\.ts$)/)
  })
})
