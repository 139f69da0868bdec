// `node bench/src/render-charts.ts [name ...]`: draws the SVG charts of bench/results/<name>/ again from
// the run that latest.json keeps (its report's chart specs), without running the benchmark. For when the
// chart drawing changes; the figures stay those of the stored run.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type StoredRun, writeCharts } from './harness/results.ts'

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))

/** The benchmarks under `dir` whose latest.json holds a stored run. */
export async function storedRuns(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'latest.json')))
    .map((entry) => entry.name)
    .sort()
}

/** Re-draws every chart of `name`'s latest run; returns the files written, relative to `dir`. */
export async function renderStoredCharts(dir: string, name: string): Promise<string[]> {
  const run = JSON.parse(await readFile(join(dir, name, 'latest.json'), 'utf8')) as StoredRun
  return writeCharts(dir, name, run.report.charts ?? [])
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const chosen = process.argv.slice(2)
  const names = chosen.length > 0 ? chosen : await storedRuns(resultsDir)
  for (const name of names) {
    for (const file of await renderStoredCharts(resultsDir, name)) process.stdout.write(`${file}\n`)
  }
}
