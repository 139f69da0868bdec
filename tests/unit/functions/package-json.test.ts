import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bundleKit } from '../../../scripts/vendor-functions.ts'
import { repoRoot } from '../../support/schemas.ts'
import { functionFolders, readPackageJson } from './function-folders.ts'

// A function folder must build and start alone from its package.json: buildpacks run `npm install`,
// `npm run build` (BP_NODE_RUN_SCRIPTS) and `npm start` in it, with nothing from the monorepo.

const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const kit = await bundleKit()

describe('function package.json', () => {
  for (const folder of functionFolders()) {
    describe(folder.name, () => {
      const pkg = readPackageJson(folder.dir)

      it('is an ES module package named after its folder, for Node 22 or newer', () => {
        expect(pkg).toMatchObject({ name: folder.name, type: 'module', engines: { node: '>=22' } })
      })

      it('builds build/index.js with esbuild and starts it with faas-js-runtime (vendor/serve.js)', () => {
        expect(pkg.scripts?.build).toMatch(/^esbuild src\/index\.ts .*--outfile=build\/index\.js/)
        expect(pkg.scripts?.start).toBe('node vendor/serve.js ./build/index.js')
        expect(pkg.dependencies?.['faas-js-runtime']).toBe('4.0.1')
        expect(pkg.devDependencies?.esbuild).toBe(rootPackage.devDependencies.esbuild)
      })

      it('maps #kit to its vendored bundle', () => {
        expect(pkg.imports?.['#kit']).toBe('./vendor/function-kit.js')
      })

      it('depends on every npm package the kit bundle imports, at the monorepo version', () => {
        for (const name of kit.packages) {
          expect(pkg.dependencies?.[name], `${folder.name} lacks ${name}`).toBe(
            rootPackage.dependencies[name],
          )
        }
      })

      it('pins every dependency to an exact version', () => {
        for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
          expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
        }
      })
    })
  }
})
