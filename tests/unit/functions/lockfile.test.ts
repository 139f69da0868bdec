import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type Lockfile,
  lockfileName,
  lockfileProblems,
  type PackageJson,
  readRootLockfile,
} from '../../../scripts/lock-functions.ts'
import { functionFolders } from '../../support/function-folders.ts'

// The buildpack runs `npm ci` when a function folder has a lockfile, so an image gets exactly the
// versions the monorepo tests, not whatever the registry has on the day of the build. Each lockfile is
// made by `npm run lock:functions`; this fails when one is missing, behind its package.json, or
// resolves a package to a version the root package-lock.json does not.

const root = await readRootLockfile()
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

describe('function lockfiles (run `npm run lock:functions` if one fails)', () => {
  for (const folder of functionFolders()) {
    describe(folder.name, () => {
      const pkg = readJson<PackageJson>(join(folder.dir, 'package.json'))
      const path = join(folder.dir, lockfileName)
      const lock = (() => {
        try {
          return readJson<Lockfile>(path)
        } catch {
          return undefined
        }
      })()

      it('has a package-lock.json (lockfileVersion 3)', () => {
        expect(lock, `${path} is missing`).toBeDefined()
        expect(lock?.lockfileVersion).toBe(3)
      })

      it('locks what its package.json declares, every needed package, at the root lockfile versions', () => {
        expect(lock && lockfileProblems(lock, pkg, root)).toEqual([])
      })

      it('locks no workspace link and nothing from the monorepo (the folder builds alone)', () => {
        for (const [entry, value] of Object.entries(lock?.packages ?? {})) {
          expect(value.link, entry).toBeUndefined()
          expect(entry === '' || entry.startsWith('node_modules/'), entry).toBe(true)
        }
      })
    })
  }
})

describe('lockfile check', () => {
  const pkg: PackageJson = { name: 'f', dependencies: { a: '1.0.0' } }
  const root: Lockfile = {
    lockfileVersion: 3,
    packages: {
      'node_modules/a': { version: '1.0.0', dependencies: { b: '^2.0.0' } },
      'node_modules/b': { version: '2.1.0' },
    },
  }
  const good: Lockfile = {
    lockfileVersion: 3,
    packages: { '': { name: 'f', dependencies: { a: '1.0.0' } }, ...root.packages },
  }

  it('passes a lockfile that matches', () => {
    expect(lockfileProblems(good, pkg, root)).toEqual([])
  })

  it('fails a lockfile behind its package.json', () => {
    expect(lockfileProblems(good, { ...pkg, dependencies: { a: '1.0.0', c: '1.0.0' } }, root).join()).toMatch(
      /dependencies differ from package\.json/,
    )
  })

  it('fails a version the root lockfile does not resolve', () => {
    const other = { ...good, packages: { ...good.packages, 'node_modules/b': { version: '2.2.0' } } }
    expect(lockfileProblems(other, pkg, root).join()).toMatch(
      /b@2\.2\.0 is not what the root lockfile resolves \(2\.1\.0\)/,
    )
  })

  it('fails a dependency that is not locked', () => {
    const { 'node_modules/b': _b, ...rest } = good.packages
    expect(lockfileProblems({ ...good, packages: rest }, pkg, root).join()).toMatch(/node_modules\/a needs b/)
  })
})
