import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bundleKit } from '../../../scripts/vendor-functions.ts'
import { functionFolders, readPackageJson } from '../../support/function-folders.ts'
import { repoRoot } from '../../support/schemas.ts'

// A function folder must build and start alone from its package.json: buildpacks run `npm ci` (its
// package-lock.json, lockfile.test.ts), `npm run build` (BP_NODE_RUN_SCRIPTS) and `npm start` in it,
// with nothing from the monorepo, then prune the devDependencies from the image.

/** The embedded PGlite: only a folder run without DATABASE_URL opens it, never a function on a cluster. */
const embeddedDatabase = ['@electric-sql/pglite', '@electric-sql/pglite-socket']

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
          const listed = embeddedDatabase.includes(name) ? pkg.devDependencies : pkg.dependencies
          expect(listed?.[name], `${folder.name} lacks ${name}`).toBe(rootPackage.dependencies[name])
        }
      })

      it('keeps the embedded PGlite out of the image: a devDependency, which the buildpack prunes', () => {
        for (const name of embeddedDatabase) {
          expect(pkg.dependencies?.[name], name).toBeUndefined()
          expect(pkg.devDependencies?.[name], name).toBe(rootPackage.dependencies[name])
        }
      })

      it('carries the trace SDK parts the kit loads, not the whole @opentelemetry/sdk-node', () => {
        expect(pkg.dependencies?.['@opentelemetry/sdk-node']).toBeUndefined()
        expect(kit.packages).not.toContain('@opentelemetry/sdk-node')
        expect(kit.packages).toContain('@opentelemetry/sdk-trace')
      })

      it('pins every dependency to an exact version', () => {
        for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
          expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
        }
      })
    })
  }
})
