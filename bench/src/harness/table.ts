// Plain-text tables for the terminal and Markdown tables for the README, from the same BenchTable.
import type { BenchTable } from './benchmark.ts'

export function formatCell(value: string | number): string {
  if (typeof value === 'string') return value
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  return value.toFixed(2)
}

export function textTable(table: BenchTable): string {
  const cells = [table.columns.map(String), ...table.rows.map((row) => row.map(formatCell))]
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)))
  const render = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
  const [header, ...body] = cells
  return [
    table.title,
    render(header!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(render),
  ].join('\n')
}

export function markdownTable(table: BenchTable): string {
  const escapePipe = (cell: string) => cell.replaceAll('|', '\\|')
  const header = `| ${table.columns.map(escapePipe).join(' | ')} |`
  const rule = `|${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`
  const body = table.rows.map((row) => `| ${row.map((cell) => escapePipe(formatCell(cell))).join(' | ')} |`)
  return [`**${table.title}**`, '', header, rule, ...body].join('\n')
}
