// Renders the figures the fault scenarios recorded (reports/reliability/*.json) as one Markdown table.
//   node scripts/reliability-report.ts            prints the table (.ci/run does, after the tests)
//   node scripts/reliability-report.ts --write    also puts it into RELIABILITY.md between its markers
// A report, not a verdict: each scenario's test asserts its own figures.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  reliabilityReportDir,
  type ScenarioFigures,
  scenarioFiguresSchema,
} from '../tests/reliability/support/scenario-report.ts'

const documentPath = join(import.meta.dirname, '..', 'RELIABILITY.md')
const startMarker = '<!-- scenario-figures:start -->'
const endMarker = '<!-- scenario-figures:end -->'

function readFigures(): ScenarioFigures[] {
  let files: string[]
  try {
    files = readdirSync(reliabilityReportDir).filter((file) => file.endsWith('.json'))
  } catch {
    return []
  }
  return files
    .map((file) =>
      scenarioFiguresSchema.parse(JSON.parse(readFileSync(join(reliabilityReportDir, file), 'utf8'))),
    )
    .sort((a, b) => Number.parseInt(a.id, 10) - Number.parseInt(b.id, 10))
}

const count = (n: number) => n.toLocaleString('en-US')

function renderTable(figures: readonly ScenarioFigures[]): string {
  const rows = figures.map((f) => {
    const details = Object.entries(f.details)
      .map(([name, value]) => `${name}: ${typeof value === 'number' ? count(value) : value}`)
      .join('; ')
    const seconds = (f.durationMs / 1000).toFixed(0)
    return `| ${f.id.split('-')[0]} | ${f.title} | ${count(f.sent)} | ${count(f.delivered)} | ${f.duplicatesSeenByUsers === null ? 'n/a' : count(f.duplicatesSeenByUsers)} | ${count(f.lost)} | ${details} | ${seconds} s, ${f.ranAt.slice(0, 10)} |`
  })
  return [
    '| # | scenario | sent | delivered | duplicates seen by users | lost | also measured | took, ran |',
    '|---|---|---:|---:|---:|---:|---|---|',
    ...rows,
  ].join('\n')
}

const figures = readFigures()
if (figures.length === 0) {
  console.info('no reliability figures recorded (the reliability project did not run)')
} else {
  const table = renderTable(figures)
  console.info(table)
  if (process.argv.includes('--write')) {
    const document = readFileSync(documentPath, 'utf8')
    const start = document.indexOf(startMarker)
    const end = document.indexOf(endMarker)
    if (start < 0 || end < start)
      throw new Error(`${documentPath} lacks the ${startMarker} ... ${endMarker} markers`)
    writeFileSync(
      documentPath,
      `${document.slice(0, start + startMarker.length)}\n${table}\n${document.slice(end)}`,
    )
  }
}
