import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// `npm run lock:functions`: a package-lock.json in every functions/<name>/, so the buildpack runs
// `npm ci` (not `npm install`, which resolves versions at build time) with exactly the versions the
// root package-lock.json resolves. Inside the monorepo npm would use the root lockfile (the folders
// are workspaces), so each lockfile is made in a temporary copy of the folder's package.json, seeded
// with the root lockfile's entries: `npm install --package-lock-only` keeps every locked version that
// satisfies the folder's ranges and drops what the folder does not need, without asking the registry
// for newer versions. tests/unit/functions/lockfile.test.ts checks the results.

const run = promisify(execFile)

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))
export const lockfileName = 'package-lock.json'

type LockEntry = {
  readonly version?: string
  readonly link?: boolean
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>
  readonly [field: string]: unknown
}
export type Lockfile = {
  readonly name?: string
  readonly lockfileVersion: number
  readonly packages: Record<string, LockEntry>
}
export type PackageJson = {
  readonly name: string
  readonly version?: string
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T

export const readRootLockfile = (): Promise<Lockfile> => readJson(join(repoRoot, lockfileName))

/** Function folders with a package.json: functions/<name>, sorted. */
export async function functionPackageFolders(): Promise<string[]> {
  const functionsDir = join(repoRoot, 'functions')
  const folders: string[] = []
  for (const entry of await readdir(functionsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const packageJson = await stat(join(functionsDir, entry.name, 'package.json')).catch(() => undefined)
    if (packageJson?.isFile()) folders.push(join(functionsDir, entry.name))
  }
  return folders.sort()
}

/** `node_modules/a/node_modules/@s/b` -> `@s/b`. */
export function packageNameAt(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
}

/**
 * The root lockfile's tree as the folder alone would see it: the hoisted packages, with the folder's
 * own nested ones (`functions/<name>/node_modules/...`, where it needs another version) on top.
 */
export function seedLockfile(root: Lockfile, workspace: string, pkg: PackageJson): Lockfile {
  const workspaces = new Set(
    Object.entries(root.packages)
      .filter(([, entry]) => entry.link === true)
      .map(([path]) => path),
  )
  const packages: Record<string, LockEntry> = {
    '': {
      name: pkg.name,
      version: pkg.version,
      dependencies: pkg.dependencies,
      devDependencies: pkg.devDependencies,
      optionalDependencies: pkg.optionalDependencies,
    },
  }
  for (const [path, entry] of Object.entries(root.packages)) {
    if (!path.startsWith('node_modules/') || entry.link === true) continue
    if ([...workspaces].some((link) => path.startsWith(`${link}/`))) continue
    packages[path] = entry
  }
  const own = `${workspace}/`
  for (const [path, entry] of Object.entries(root.packages)) {
    if (path.startsWith(`${own}node_modules/`)) packages[path.slice(own.length)] = entry
  }
  return { name: pkg.name, lockfileVersion: root.lockfileVersion, packages }
}

/** The folder's lockfile text, made in a temporary copy of its package.json (see above). */
export async function functionLockfile(folder: string, root?: Lockfile): Promise<string> {
  const pkg = await readJson<PackageJson>(join(folder, 'package.json'))
  const workspace = folder.slice(repoRoot.length).replace(/^\/+|\/+$/g, '')
  const seed = seedLockfile(root ?? (await readRootLockfile()), workspace, pkg)
  const workDir = await mkdtemp(join(tmpdir(), `${pkg.name}-lock-`))
  try {
    await writeFile(join(workDir, 'package.json'), await readFile(join(folder, 'package.json')))
    await writeFile(join(workDir, lockfileName), `${JSON.stringify(seed, null, 2)}\n`)
    await run(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
      { cwd: workDir, env: { ...process.env, npm_config_workspaces: 'false' }, timeout: 300_000 },
    )
    return await readFile(join(workDir, lockfileName), 'utf8')
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/** name -> every version the lockfile installs anywhere in its tree. */
export function versionsByPackage(lock: Lockfile): Map<string, Set<string>> {
  const versions = new Map<string, Set<string>>()
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.includes('node_modules/') || entry.link === true || entry.version === undefined) continue
    const name = packageNameAt(path)
    versions.set(name, (versions.get(name) ?? new Set()).add(entry.version))
  }
  return versions
}

/** What is wrong with a function's lockfile against its package.json and the root lockfile; [] if nothing. */
export function lockfileProblems(lock: Lockfile, pkg: PackageJson, root: Lockfile): string[] {
  const problems: string[] = []
  const top = lock.packages[''] ?? {}
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
    const locked = JSON.stringify(sorted(top[field] as Record<string, string> | undefined))
    const declared = JSON.stringify(sorted(pkg[field]))
    if (locked !== declared) problems.push(`${field} differ from package.json: ${locked} vs ${declared}`)
  }
  const rootVersions = versionsByPackage(root)
  for (const [name, versions] of versionsByPackage(lock)) {
    for (const version of versions) {
      if (!rootVersions.get(name)?.has(version)) {
        const wanted = [...(rootVersions.get(name) ?? [])].join(', ') || 'none'
        problems.push(`${name}@${version} is not what the root lockfile resolves (${wanted})`)
      }
    }
  }
  // Every dependency an entry needs is in the tree (Node's lookup: nested first, then up).
  for (const [path, entry] of Object.entries(lock.packages)) {
    const needs = path === '' ? { ...pkg.dependencies, ...pkg.devDependencies } : (entry.dependencies ?? {})
    for (const name of Object.keys(needs)) {
      if (resolveIn(lock, path, name) === undefined)
        problems.push(`${path || '(root)'} needs ${name}, not locked`)
    }
  }
  return problems
}

function resolveIn(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`
    if (lock.packages[candidate] !== undefined) return candidate
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

const sorted = (record: Record<string, string> | undefined) =>
  record === undefined || Object.keys(record).length === 0
    ? undefined
    : Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))

async function main(): Promise<void> {
  const root = await readRootLockfile()
  for (const folder of await functionPackageFolders()) {
    const text = await functionLockfile(folder, root)
    const pkg = await readJson<PackageJson>(join(folder, 'package.json'))
    const problems = lockfileProblems(JSON.parse(text) as Lockfile, pkg, root)
    if (problems.length > 0) {
      throw new Error(`${folder}: ${problems.join('; ')} (run \`npm install\` at the root first)`)
    }
    await writeFile(join(folder, lockfileName), text)
    console.info(`locked ${folder.slice(repoRoot.length)}/${lockfileName}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
