// Where a run's figures go: `bench/results/<name>/latest.json` plus one dated JSON per run and a line
// in `history.jsonl` (so progress shows over time), one SVG per chart, and the benchmark's section of
// bench/README.md (between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`).
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Benchmark, BenchReport } from './benchmark.ts'
import { type ChartSpec, renderChart } from './chart.ts'
import { describeMachine, type MachineInfo } from './machine.ts'
import { markdownTable } from './table.ts'

export interface StoredRun {
  readonly benchmark: string
  readonly title: string
  readonly date: string
  readonly quick: boolean
  readonly machine: MachineInfo
  readonly durationMs: number
  readonly report: BenchReport
}

interface HistoryLine {
  readonly date: string
  readonly machine: string
  readonly headline: readonly string[]
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

/** Writes the run's files under `resultsDir/<name>/`; returns the chart files, relative to resultsDir. */
export async function writeRunFiles(resultsDir: string, run: StoredRun): Promise<string[]> {
  const folder = join(resultsDir, run.benchmark)
  await mkdir(folder, { recursive: true })
  const json = `${JSON.stringify(run, null, 2)}\n`
  await writeFile(join(folder, 'latest.json'), json)
  await writeFile(join(folder, `${run.date.replaceAll(':', '-')}.json`), json)
  const history: HistoryLine = {
    date: run.date,
    machine: describeMachine(run.machine),
    headline: run.report.headline ?? [],
  }
  await appendFile(join(folder, 'history.jsonl'), `${JSON.stringify(history)}\n`)
  return writeCharts(resultsDir, run.benchmark, run.report.charts ?? [])
}

/** One SVG per chart under `resultsDir/<benchmark>/`, named for its title; returns them, relative to resultsDir. */
export async function writeCharts(
  resultsDir: string,
  benchmark: string,
  charts: readonly ChartSpec[],
): Promise<string[]> {
  const written: string[] = []
  for (const chart of charts) {
    const file = `${slug(chart.title)}.svg`
    await writeFile(join(resultsDir, benchmark, file), await renderChart(chart))
    written.push(`${benchmark}/${file}`)
  }
  return written
}

async function readHistory(resultsDir: string, name: string, keep: number): Promise<HistoryLine[]> {
  const file = join(resultsDir, name, 'history.jsonl')
  if (!existsSync(file)) return []
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '')
  return lines.slice(-keep).map((line) => JSON.parse(line) as HistoryLine)
}

export async function readmeSection(
  resultsDir: string,
  resultsLink: string,
  run: StoredRun,
  charts: readonly string[],
): Promise<string> {
  const parts = [
    `_Last run ${run.date.slice(0, 16).replace('T', ' ')} UTC on ${describeMachine(run.machine)}, took ${Math.round(run.durationMs / 1000)} s._`,
    ...run.report.tables.map(markdownTable),
    ...charts.map((chart) => `![${chart}](${resultsLink}/${chart})`),
    ...(run.report.notes ?? []),
  ]
  const history = await readHistory(resultsDir, run.benchmark, 10)
  if (history.length > 0) {
    parts.push(
      [
        '<details><summary>History (last 10 full runs)</summary>',
        '',
        '| date | machine | figures |',
        '|---|---|---|',
        ...history.map(
          (line) => `| ${line.date.slice(0, 16)} | ${line.machine} | ${line.headline.join('; ')} |`,
        ),
        '',
        '</details>',
      ].join('\n'),
    )
  }
  return parts.join('\n\n')
}

/** Replaces the text between the benchmark's markers; appends a new section when they are missing. */
export function spliceSection(
  readme: string,
  benchmark: Pick<Benchmark, 'name' | 'title'>,
  body: string,
): string {
  const start = `<!-- bench:${benchmark.name}:start -->`
  const end = `<!-- bench:${benchmark.name}:end -->`
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from >= 0 && to > from) return `${readme.slice(0, from + start.length)}\n${body}\n${readme.slice(to)}`
  return `${readme.trimEnd()}\n\n## ${benchmark.title}\n\n${start}\n${body}\n${end}\n`
}

export async function updateReadme(readmeFile: string, benchmark: Benchmark, body: string): Promise<void> {
  const readme = existsSync(readmeFile) ? await readFile(readmeFile, 'utf8') : '# Benchmarks\n'
  await writeFile(readmeFile, spliceSection(readme, benchmark, body))
}
