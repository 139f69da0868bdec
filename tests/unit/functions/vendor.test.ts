import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  bundleKit,
  bundleServe,
  kitFunctionFolders,
  localServePath,
  packageNameOf,
  repoRoot,
  servePath,
  vendorPath,
} from '../../../scripts/vendor-functions.ts'

// Each function folder carries function-kit as a generated, committed bundle so it builds alone.
// Rebuilding it in memory and comparing catches a kit (or events/, db/) change not yet vendored.

const kit = await bundleKit()
const serve = await bundleServe()
const folders = await kitFunctionFolders()

describe('vendored function-kit', () => {
  it('says it is generated and from where', () => {
    expect(kit.code.split('\n')[0]).toMatch(
      /^\/\/ GENERATED FILE: do not edit\. .*function-kit\/src\/index\.ts/,
    )
  })

  it('keeps npm packages external and inlines project code', () => {
    expect(kit.packages).toEqual(expect.arrayContaining(['kysely', 'pg', 'undici', 'zod']))
    expect(kit.code).not.toMatch(/from ["']\.\.?\//)
    expect(kit.code).toContain('function parseEvent(')
  })

  it('takes nothing from api/, and from platform/ only auth, telemetry, delivery rules, env helper', () => {
    // esbuild marks each inlined module with a `// <path>` comment when not minifying.
    expect(kit.code.match(/^\/\/ api\/\S+$/gm) ?? []).toEqual([])
    const inlinedPlatformModules = kit.code.match(/^\/\/ platform\/\S+$/gm) ?? []
    expect(inlinedPlatformModules).toContain('// platform/src/auth/bearer-verifier.ts')
    expect(inlinedPlatformModules).toContain('// platform/src/telemetry/telemetry.ts')
    for (const module of inlinedPlatformModules)
      expect(module).toMatch(/^\/\/ platform\/src\/(auth\/|telemetry\/|env\.ts$|knative-delivery\.ts$)/)
    expect(kit.packages).toContain('jose')
    expect(kit.packages).not.toContain('express')
  })

  for (const folder of folders) {
    it(`${folder.split('/').at(-1)}: ${vendorPath} is up to date (run \`npm run vendor\` if not)`, () => {
      const committed = readFileSync(join(folder, vendorPath), 'utf8')
      expect(committed === kit.code, 'vendored kit differs from a fresh bundle').toBe(true)
    })

    it(`${folder.split('/').at(-1)}: ${servePath} is up to date and is what npm start runs`, () => {
      const committed = readFileSync(join(folder, servePath), 'utf8')
      expect(committed === serve.code, 'vendored launcher differs from a fresh bundle').toBe(true)
      const scripts = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).scripts
      expect(scripts.start).toBe(`node ${servePath} ./build/index.js`)
    })
  }

  it(`the local runtime's ${localServePath} is the same launcher`, () => {
    expect(readFileSync(join(repoRoot, localServePath), 'utf8') === serve.code).toBe(true)
  })

  it('names the package of a deep or scoped import', () => {
    expect(packageNameOf('kysely/migration')).toBe('kysely')
    expect(packageNameOf('@electric-sql/pglite/worker')).toBe('@electric-sql/pglite')
    expect(packageNameOf('pg')).toBe('pg')
  })
})
