// `npm run bench [-- [--quick] [name ...]]`: runs the benchmarks of bench/<name>/benchmark.ts in order,
// prints a table per benchmark, writes JSON + SVG under bench/results/ and (full runs only) updates
// bench/README.md. Whatever a benchmark started is stopped after it, the broker after the run, even on
// failure or Ctrl-C.
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { readBenchConfig } from './config.ts'
import { discoverBenchmarks, selectBenchmarks } from './discover.ts'
import type { BenchContext } from './harness/benchmark.ts'
import { CleanupStack, cleanUpOnSignals } from './harness/cleanup.ts'
import { describeMachine, machineInfo } from './harness/machine.ts'
import { createProgressBar } from './harness/progress.ts'
import { readmeSection, updateReadme, writeRunFiles } from './harness/results.ts'
import { createBenchServices } from './harness/services.ts'
import { textTable } from './harness/table.ts'

const benchDir = fileURLToPath(new URL('../', import.meta.url))
const readmeFile = fileURLToPath(new URL('../README.md', import.meta.url))

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
const out = (line: string) => process.stdout.write(`${line}\n`)

const config = readBenchConfig()
const all = await discoverBenchmarks(benchDir)
if (values.help) {
  out('usage: npm run bench -- [--quick] [name ...]')
  for (const benchmark of all) out(`  ${benchmark.name.padEnd(12)} ${benchmark.order}. ${benchmark.title}`)
  process.exit(0)
}
const selected = selectBenchmarks(all, positionals)
const quick = values.quick
const resultsDir = fileURLToPath(new URL(quick ? '../results/quick/' : '../results/', import.meta.url))
const logger = pino({ level: config.BENCH_LOG_LEVEL }, pino.destination(2))
const machine = machineInfo()

const runStack = new CleanupStack()
let benchmarkStack = new CleanupStack()
cleanUpOnSignals(() => [benchmarkStack, runStack], out)
const services = createBenchServices({
  kafkaBrokers: config.KAFKA_BROKERS,
  postgresUrl: config.BENCH_POSTGRES_URL,
  logger,
  cleanup: runStack,
})

out(`taskflow bench${quick ? ' (--quick: smoke run, README untouched)' : ''}: ${describeMachine(machine)}`)
const failed: string[] = []
try {
  for (const benchmark of selected) {
    benchmarkStack = new CleanupStack()
    const stack = benchmarkStack
    out(`\n== ${benchmark.order}. ${benchmark.title} (${benchmark.name})`)
    const context: BenchContext = {
      quick,
      logger: logger.child({ benchmark: benchmark.name }),
      kafkaBrokers: () => services.kafkaBrokers(),
      database: (label) => services.database(label, stack),
      defer: (cleanup) => stack.push(benchmark.name, cleanup),
      afterRun: (cleanup) => runStack.push(benchmark.name, cleanup),
      progress: (label, total) => createProgressBar(`  ${label}`, total),
      size: (full, small) => (quick ? small : full),
    }
    const startedAt = Date.now()
    try {
      const report = await benchmark.run(context)
      const durationMs = Date.now() - startedAt
      for (const table of report.tables) out(`\n${textTable(table)}`)
      for (const note of report.notes ?? []) out(`\n${note}`)
      const run = {
        benchmark: benchmark.name,
        title: benchmark.title,
        date: new Date().toISOString(),
        quick,
        machine,
        durationMs,
        report,
      }
      const charts = await writeRunFiles(resultsDir, run)
      if (!quick) {
        await updateReadme(readmeFile, benchmark, await readmeSection(resultsDir, 'results', run, charts))
      }
      out(
        `\n${benchmark.name}: done in ${Math.round(durationMs / 1000)} s; results in ${resultsDir}${benchmark.name}/`,
      )
    } catch (error) {
      failed.push(benchmark.name)
      out(
        `\n${benchmark.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      )
    } finally {
      for (const problem of await stack.runAll()) out(`cleanup failed: ${problem}`)
    }
  }
} finally {
  for (const problem of await runStack.runAll()) out(`cleanup failed: ${problem}`)
}
if (failed.length > 0) {
  out(`\nfailed: ${failed.join(', ')}`)
  process.exitCode = 1
}
// Clients that keep sockets or timers (kafkajs, pg) must not hold the process once everything stopped.
process.exit()
