// Finds the benchmarks: every `bench/<folder>/benchmark.ts` whose default export is a Benchmark.
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Benchmark } from './harness/benchmark.ts'

export class BenchmarkDefinitionError extends Error {
  override readonly name = 'BenchmarkDefinitionError'
}

const isBenchmark = (value: unknown): value is Benchmark =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Benchmark).name === 'string' &&
  typeof (value as Benchmark).order === 'number' &&
  typeof (value as Benchmark).run === 'function'

export async function discoverBenchmarks(benchDir: string): Promise<Benchmark[]> {
  const found: Benchmark[] = []
  for (const entry of await readdir(benchDir, { withFileTypes: true })) {
    const file = join(benchDir, entry.name, 'benchmark.ts')
    if (!entry.isDirectory() || !existsSync(file)) continue
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
    if (!isBenchmark(module.default)) {
      throw new BenchmarkDefinitionError(
        `${file} must export default a Benchmark (name, order, title, needs, run)`,
      )
    }
    if (module.default.name !== entry.name) {
      throw new BenchmarkDefinitionError(
        `${file} is named '${module.default.name}', expected its folder name '${entry.name}'`,
      )
    }
    found.push(module.default)
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name))
}

/** The benchmarks named on the command line, in run order; every name must exist. */
export function selectBenchmarks(all: readonly Benchmark[], names: readonly string[]): Benchmark[] {
  if (names.length === 0) return [...all]
  const unknown = names.filter((name) => !all.some((benchmark) => benchmark.name === name))
  if (unknown.length > 0) {
    throw new BenchmarkDefinitionError(
      `unknown benchmark ${unknown.join(', ')}; known: ${all.map((benchmark) => benchmark.name).join(', ')}`,
    )
  }
  return all.filter((benchmark) => names.includes(benchmark.name))
}
