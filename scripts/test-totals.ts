// Prints vitest's totals from its JSON report as one plain line (`N passed, N failed, N skipped`), so every
// CI run shows what it ran. Exits non-zero when the report is missing or ran no test at all.
import { readFileSync } from 'node:fs'
import { z } from 'zod'

const reportSchema = z.object({
  numTotalTests: z.number(),
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numPendingTests: z.number(),
  numTodoTests: z.number().default(0),
})

const path = process.argv[2] ?? 'reports/vitest.json'
let report: z.infer<typeof reportSchema>
try {
  report = reportSchema.parse(JSON.parse(readFileSync(path, 'utf8')))
} catch (error) {
  console.error(`no usable vitest report at ${path}: ${error instanceof Error ? error.message : error}`)
  process.exit(2)
}
const skipped = report.numPendingTests + report.numTodoTests
console.info(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`)
if (report.numTotalTests === 0) process.exit(3)
