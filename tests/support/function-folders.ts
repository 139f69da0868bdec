import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from './schemas.ts'

// The deployable function folders (functions/<name>/ with a func.yaml), read as kn func would.

export type FunctionFolder = { readonly name: string; readonly dir: string }

export function functionFolders(): FunctionFolder[] {
  const root = join(repoRoot, 'functions')
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .filter((name) => statSync(join(root, name, 'func.yaml'), { throwIfNoEntry: false })?.isFile())
    .map((name) => ({ name, dir: join(root, name) }))
}

export function readFuncYaml(folder: FunctionFolder): unknown {
  return parse(readFileSync(join(folder.dir, 'func.yaml'), 'utf8'))
}

export type FunctionPackageJson = {
  name?: unknown
  type?: unknown
  engines?: { node?: unknown }
  imports?: Record<string, unknown>
  scripts?: Record<string, unknown>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

export function readPackageJson(dir: string): FunctionPackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
}
