import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

// Bundles function-kit (and the project code it imports: events/, db/) into each function's
// vendor/function-kit.js, and the kit's launcher (function-kit/src/serve.ts, what `npm start` runs)
// into vendor/serve.js. `kn func deploy` sends only the function's folder to the builder, so the
// shared code must be inside it; npm packages stay external and come from the function's own
// package.json. The output is committed, and tests/unit/functions checks it is not stale.

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))
export const kitEntry = 'function-kit/src/index.ts'
export const vendorPath = 'vendor/function-kit.js'
export const serveEntry = 'function-kit/src/serve.ts'
export const servePath = 'vendor/serve.js'
/** The launcher for a function folder without one (the bench's no-op): the local runtime's copy. */
export const localServePath = 'local/src/serving/function-serve.js'

const headerOf = (
  entry: string,
) => `// GENERATED FILE: do not edit. Bundled by scripts/vendor-functions.ts from ${entry}
// (with the project modules it imports); regenerate with \`npm run vendor\`.
`

export type KitBundle = {
  /** The file's whole text. */
  readonly code: string
  /** npm packages the bundle imports (the function's package.json must list each). */
  readonly packages: readonly string[]
}

export function bundleKit(): Promise<KitBundle> {
  return bundle(kitEntry, vendorPath)
}

/** The launcher every function's `npm start` runs (vendor/serve.js). */
export function bundleServe(): Promise<KitBundle> {
  return bundle(serveEntry, servePath)
}

async function bundle(entry: string, outfile: string): Promise<KitBundle> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    write: false,
    metafile: true,
    minify: false,
    legalComments: 'inline',
    banner: { js: headerOf(entry) },
    outfile,
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild wrote no output for ${entry}`)
  const imports = Object.values(result.metafile.outputs).flatMap((file) => file.imports)
  const packages = new Set(
    imports
      .filter((entry) => entry.external && !isBuiltin(entry.path))
      .map((entry) => packageNameOf(entry.path)),
  )
  return { code: output.text, packages: [...packages].sort() }
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}

/** Function folders that import the kit (their package.json maps `#kit`). */
export async function kitFunctionFolders(): Promise<string[]> {
  const functionsDir = join(repoRoot, 'functions')
  const folders: string[] = []
  for (const entry of await readdir(functionsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const packageJson = join(functionsDir, entry.name, 'package.json')
    let parsed: { imports?: Record<string, unknown> }
    try {
      parsed = JSON.parse(await readFile(packageJson, 'utf8'))
    } catch {
      continue
    }
    if (parsed.imports?.['#kit'] !== undefined) folders.push(join(functionsDir, entry.name))
  }
  return folders.sort()
}

async function main(): Promise<void> {
  const bundles = [
    { entry: kitEntry, path: vendorPath, bundle: await bundleKit() },
    { entry: serveEntry, path: servePath, bundle: await bundleServe() },
  ]
  const serve = bundles[1]!
  await writeFile(join(repoRoot, localServePath), serve.bundle.code)
  console.info(`vendored ${serveEntry} -> /${localServePath} (${serve.bundle.code.length} bytes)`)
  for (const folder of await kitFunctionFolders()) {
    for (const { entry, path, bundle } of bundles) {
      const target = join(folder, path)
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, bundle.code)
      console.info(`vendored ${entry} -> ${target.slice(repoRoot.length)} (${bundle.code.length} bytes)`)
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
