// The contract between the bench runner and one benchmark. A benchmark is a folder `bench/<name>/`
// with a `benchmark.ts` whose default export is a `Benchmark`; the runner finds it by that file alone,
// so adding one never touches the runner.
import type { Logger } from 'pino'
import type { ChartSpec } from './chart.ts'
import type { ProgressBar } from './progress.ts'
import type { BenchDatabase } from './services.ts'

export interface Benchmark {
  /** Folder name and the CLI name: `npm run bench -- <name>`. */
  readonly name: string
  /** Issue 8 numbers the benchmarks; the runner runs them in this order. */
  readonly order: number
  readonly title: string
  /** Services the runner provides lazily; `kafka` starts (or reuses) one broker for the whole run. */
  readonly needs: readonly ('kafka' | 'postgres')[]
  run(context: BenchContext): Promise<BenchReport>
}

export interface BenchContext {
  /** `--quick`: a smoke run with small counts; figures are not comparable and are not published. */
  readonly quick: boolean
  readonly logger: Logger
  /** Bootstrap servers of the run's broker (started on first call, stopped at the end of the run). */
  kafkaBrokers(): Promise<string[]>
  /** A PostgreSQL database of this run (`taskflow_bench_<random>`), dropped at the end of the run. */
  database(label: string): Promise<BenchDatabase>
  /** Registers work to undo when the run ends, failed or not (last registered runs first). */
  defer(cleanup: () => Promise<void> | void): void
  /** Registers work to undo when the whole run ends (things shared between benchmarks, e.g. topics). */
  afterRun(cleanup: () => Promise<void> | void): void
  /** A one-line progress bar on a TTY (a line every 10 % elsewhere). */
  progress(label: string, total: number): ProgressBar
  /** Picks the full-run or the quick-run value. */
  size<T>(full: T, quick: T): T
}

export interface BenchTable {
  readonly title: string
  readonly columns: readonly string[]
  readonly rows: readonly (readonly (string | number)[])[]
}

export interface BenchReport {
  readonly tables: readonly BenchTable[]
  /** Machine-readable figures (flat names, e.g. `unordered.p6.eventsPerSecond`), kept in the JSON history. */
  readonly figures: Readonly<Record<string, number>>
  /** The few figures the README history line shows for this benchmark. */
  readonly headline?: readonly string[]
  readonly charts?: readonly ChartSpec[]
  /** Prose for the README: what the numbers mean, where time goes. */
  readonly notes?: readonly string[]
}
