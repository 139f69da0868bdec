// Benchmark 4: the whole pipeline (`startLocalSystem` on the run's Kafka and a PostgreSQL database of
// its own: Task API, KafkaSinks, the three real functions behind their activators, KafkaSources) under
// a closed-loop POST /tasks load for 60 s, with each source's consumer lag sampled every second, and
// the CPU of each part to show what limits it. Seeds' bar: 10,000 events a minute; aim 100x that.
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { readLocalConfig } from '../../local/src/config.ts'
import { collectStatus } from '../../local/src/status.ts'
import { startLocalSystem } from '../../local/src/system.ts'
import { type LoadBody, startTaskLoadProcess } from '../api/task-load-process.ts'
import type { Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { ratio } from '../src/harness/stats.ts'
import { noopFunctionName, startNoopBaseline } from './noop-baseline.ts'
import { functionGroupOf, type PipelineSample, postgresGroupOf, samplePipeline } from './sample-pipeline.ts'

const seedsEventsPerMinute = 10_000
const aimEventsPerMinute = 100 * seedsEventsPerMinute
// Tasks per second, posted on a fixed schedule (open loop). A closed loop as fast as the API answers
// (it takes ~1,000 tasks/s) starves the functions of CPU on a 2-core machine and measures the API, not
// the pipeline: a paced load shows whether every source keeps up with a rate for the whole minute.
const pipelineRatePerSecond = 200
const loadConnections = 64
/** Knative's scale-to-zero grace is 30 s; longer here so a function never restarts cold mid-run. */
const gracePeriodMs = 300_000
/** Knative commits every 5 s; every second here so the sampled lag follows the work, not the commits. */
const commitIntervalMs = 1_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const round1 = (value: number) => Math.round(value * 10) / 10

const benchmark: Benchmark = {
  name: 'pipeline',
  order: 4,
  title: 'Pipeline: tasks through the API, Kafka and the three functions',
  needs: ['kafka', 'postgres'],
  async run(context): Promise<BenchReport> {
    const loadAverage = Math.round(loadavg()[0]! * 100) / 100
    const brokers = await context.kafkaBrokers()
    const database = await context.database('pipeline')
    const config = readLocalConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      KAFKA_BROKERS: brokers.join(','),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'error',
      COMMIT_INTERVAL_MS: String(commitIntervalMs),
      STATUS_INTERVAL_MS: '0',
    })
    const system = await startLocalSystem(config, pino({ level: 'error' }), { gracePeriodMs })
    context.defer(() => system.stop())
    const sourceNames = system.sources.map((source) => source.spec.name)
    const baseline = await startNoopBaseline(system, {
      copyOf: 'audit-log',
      gracePeriodMs,
      commitIntervalMs,
    })
    context.defer(() => baseline.stop())
    // The system as sampled: its own sources and functions plus the baseline's.
    const measured = {
      ...system,
      sources: [...system.sources, baseline.source],
      functions: new Map([...system.functions, [noopFunctionName, baseline.host]]),
    }
    const status = () => collectStatus(measured)

    // Warm-up: every function started (cold start) and every source delivering before the clock runs.
    const body = pipelineTaskBody()
    const warmup = startTaskLoadProcess({
      url: new URL(system.api.url),
      body,
      concurrency: 4,
      durationMs: 2_000,
    })
    context.defer(() => warmup.close())
    const warmed = await warmup.done
    const warmDeadline = Date.now() + 60_000
    for (;;) {
      const { sources } = await status()
      if (sources.every((source) => source.delivered >= warmed.ok && source.lag === 0)) break
      if (Date.now() > warmDeadline) throw new Error('the pipeline did not deliver the warm-up tasks in 60 s')
      await sleep(250)
    }

    const loadMs = context.size(60_000, 10_000)
    const drainCapMs = context.size(90_000, 20_000)
    const load = startTaskLoadProcess({
      url: new URL(system.api.url),
      body,
      firstIndex: 1_000_000,
      concurrency: loadConnections,
      durationMs: loadMs,
      ratePerSecond: pipelineRatePerSecond,
    })
    context.defer(() => load.close())
    const bar = context.progress('pipeline load + drain (s)', (loadMs + drainCapMs) / 1000)
    const samples = await samplePipeline({
      system: { status },
      functions: measured.functions,
      load,
      databaseName: database.name,
      databaseUrl: database.url,
      loadMs,
      drainCapMs,
      onSample: () => bar.increment(),
    })
    bar.finish()
    const loadDone = await load.done

    return report(samples, loadDone, sourceNames, loadMs, context.quick, loadAverage)
  },
}

async function report(
  samples: readonly PipelineSample[],
  loadDone: { ok: number; failed: number; elapsedMs: number },
  sourceNames: readonly string[],
  loadMs: number,
  quick: boolean,
  loadAverage: number,
): Promise<BenchReport> {
  const loadSeconds = loadMs / 1000
  const duringLoad = samples.filter((sample) => sample.second <= loadSeconds)
  const endOfLoad = duringLoad.at(-1)!
  const last = samples.at(-1)!
  const drained = last.lagTotal === 0
  const tasks = loadDone.ok
  const apiTasksPerSecond = (tasks * 1000) / loadDone.elapsedMs
  // Every task event is delivered once to each function: the pipeline is done with a task when the
  // slowest source delivered it.
  const slowestDelivered = (sample: PipelineSample) =>
    Math.min(...sourceNames.map((name) => sample.delivered[name] ?? 0))
  const pipelineSeconds = drained ? last.second : Number.NaN
  const sustainedTasksPerSecond = drained ? tasks / pipelineSeconds : slowestDelivered(last) / last.second
  const eventsPerMinute = sustainedTasksPerSecond * 60

  const perSource = [...sourceNames, noopFunctionName].map((name) => {
    const deliveredInLoad = endOfLoad.delivered[name] ?? 0
    const maxLag = Math.max(...samples.map((sample) => sample.lag[name] ?? 0))
    const drainedAt = samples.find(
      (sample) => sample.second >= loadSeconds && (sample.lag[name] ?? 0) === 0,
    )?.second
    return {
      name,
      ordering: last.ordering[name] ?? '',
      deliveredPerSecond: deliveredInLoad / endOfLoad.second,
      lagAtEndOfLoad: endOfLoad.lag[name] ?? 0,
      maxLag,
      drainedAfterLoadS: drainedAt === undefined ? Number.NaN : round1(drainedAt - loadSeconds),
    }
  })

  const cpuGroups = [...new Set(duringLoad.flatMap((sample) => Object.keys(sample.cpuPercent)))]
  const cpuRows = cpuGroups.map((group) => {
    const values = duringLoad.map((sample) => sample.cpuPercent[group] ?? 0)
    return [
      group,
      Math.round(values.reduce((sum, value) => sum + value, 0) / values.length),
      Math.round(Math.max(...values)),
    ]
  })
  const average = (pick: (sample: PipelineSample) => number) =>
    round1(duringLoad.reduce((sum, sample) => sum + pick(sample), 0) / duringLoad.length)
  const machineCpu = average((sample) => sample.machineCpuPercent)
  const benchElu = average((sample) => sample.benchEventLoopUtilization * 100)

  // CPU per delivered event over the whole run (load and drain): the function's processes and its
  // PostgreSQL backends, beside the no-op baseline behind the same dispatcher and activator path.
  const cpuMsOf = (group: string) => samples.reduce((sum, sample) => sum + (sample.cpuMs[group] ?? 0), 0)
  const perEvent = [...sourceNames, noopFunctionName].map((name) => {
    const events = last.delivered[name] ?? 0
    const processMs = events > 0 ? cpuMsOf(functionGroupOf(name)) / events : Number.NaN
    const postgresMs = events > 0 ? cpuMsOf(postgresGroupOf(name)) / events : Number.NaN
    return { name, events, processMs, postgresMs, totalMs: processMs + postgresMs }
  })
  const noopMs = perEvent.find((row) => row.name === noopFunctionName)!.totalMs
  const round2 = (value: number) => Math.round(value * 100) / 100

  const figures: Record<string, number> = {
    tasks,
    apiTasksPerSecond: Math.round(apiTasksPerSecond),
    sustainedTasksPerSecond: Math.round(sustainedTasksPerSecond),
    eventsPerMinute: Math.round(eventsPerMinute),
    ratioToSeedsBar: ratio(eventsPerMinute, seedsEventsPerMinute),
    ratioToAim: ratio(eventsPerMinute, aimEventsPerMinute),
    machineCpuPercent: machineCpu,
    benchProcessEventLoopBusyPercent: benchElu,
    drainedAfterLoadS: drained ? round1(last.second - loadSeconds) : Number.NaN,
    loadAverageAtStart: loadAverage,
  }
  for (const source of perSource) {
    figures[`${source.name}.deliveredPerSecond`] = Math.round(source.deliveredPerSecond)
    figures[`${source.name}.maxLag`] = source.maxLag
  }
  for (const row of perEvent) figures[`${row.name}.cpuMsPerEvent`] = round2(row.totalMs)

  // The per-second samples, for whoever wants more than the chart (the runner keeps the report only).
  const folder = fileURLToPath(
    new URL(quick ? '../results/quick/pipeline/' : '../results/pipeline/', import.meta.url),
  )
  await mkdir(folder, { recursive: true })
  await writeFile(`${folder}samples-latest.json`, `${JSON.stringify(samples, null, 1)}\n`)

  // One point per few seconds: the chart labels every x value.
  const step = Math.max(1, Math.ceil(last.second / 15))
  const charted = samples.filter(
    (sample, index) => sample.second % step === 0 || index === samples.length - 1,
  )
  const limiter = perSource
    .filter((source) => source.name !== noopFunctionName)
    .reduce((worst, source) => (source.maxLag > worst.maxLag ? source : worst))

  return {
    tables: [
      {
        title: `Pipeline: ${tasks.toLocaleString('en-US')} tasks posted in ${loadSeconds} s (paced at ${pipelineRatePerSecond}/s), every task event delivered to the three functions`,
        columns: ['measurement', 'value', 'x seeds bar (10k events/min)', 'x aim (1M events/min)'],
        rows: [
          [
            'API accepted, tasks/s (during the load)',
            Math.round(apiTasksPerSecond),
            ratio(apiTasksPerSecond * 60, seedsEventsPerMinute),
            ratio(apiTasksPerSecond * 60, aimEventsPerMinute),
          ],
          [
            'pipeline sustained, tasks/s (posted until every source drained)',
            Math.round(sustainedTasksPerSecond),
            figures.ratioToSeedsBar!,
            figures.ratioToAim!,
          ],
          [
            'pipeline task events / minute',
            Math.round(eventsPerMinute),
            figures.ratioToSeedsBar!,
            figures.ratioToAim!,
          ],
          [
            'drained after the load stopped, s',
            drained ? round1(last.second - loadSeconds) : 'not in the cap',
            '',
            '',
          ],
        ],
      },
      {
        title: `Per KafkaSource (task-events, 12 partitions; ${noopFunctionName}: the baseline, a copy of audit-log's to a no-op function)`,
        columns: [
          'source',
          'ordering',
          'delivered/s during load',
          'lag at end of load',
          'max lag',
          'drained after load, s',
        ],
        rows: perSource.map((source) => [
          source.name,
          source.ordering,
          Math.round(source.deliveredPerSecond),
          source.lagAtEndOfLoad,
          source.maxLag,
          source.drainedAfterLoadS,
        ]),
      },
      {
        title:
          'CPU per delivered event (load and drain): the function processes and their PostgreSQL backends (application_name)',
        columns: [
          'function',
          'events',
          'process ms',
          'PostgreSQL ms',
          'total ms / event',
          'x no-op baseline',
        ],
        rows: perEvent.map((row) => [
          row.name,
          row.events,
          round2(row.processMs),
          round2(row.postgresMs),
          round2(row.totalMs),
          row.name === noopFunctionName ? 1 : ratio(row.totalMs, noopMs),
        ]),
      },
      {
        title: `CPU during the load (% of one core; ${samples[0]?.cpus ?? '?'} CPUs = ${(samples[0]?.cpus ?? 0) * 100} %), machine ${machineCpu} % busy, bench process event loop ${benchElu} % busy`,
        columns: ['process', 'average %', 'max %'],
        rows: cpuRows,
      },
    ],
    figures,
    headline: [
      `API ${Math.round(apiTasksPerSecond)} tasks/s`,
      `pipeline ${Math.round(sustainedTasksPerSecond)} tasks/s = ${Math.round(eventsPerMinute)} events/min (x${figures.ratioToSeedsBar} seeds bar, x${figures.ratioToAim} aim)`,
      `max lag ${limiter.name} ${limiter.maxLag}`,
    ],
    charts: [
      {
        kind: 'line',
        title: 'Pipeline: consumer lag per KafkaSource',
        unit: 'records',
        xLabel: `seconds since the load started (load stops at ${loadSeconds} s)`,
        series: sourceNames.map((name) => ({
          name,
          points: charted.map((sample) => [sample.second, sample.lag[name] ?? 0] as [number, number]),
        })),
      },
      {
        kind: 'line',
        title: 'Pipeline: tasks posted and events delivered per second',
        unit: 'per second',
        xLabel: `seconds since the load started (load stops at ${loadSeconds} s)`,
        series: [
          {
            name: 'tasks posted',
            points: charted.map((sample) => [sample.second, sample.postedPerSecond] as [number, number]),
          },
          ...sourceNames.map((name) => ({
            name: `${name} delivered`,
            points: charted.map(
              (sample) => [sample.second, sample.deliveredPerSecond[name] ?? 0] as [number, number],
            ),
          })),
        ],
      },
    ],
    notes: [
      `Goal: the seeds' bar is ${seedsEventsPerMinute.toLocaleString('en-US')} events a minute, the aim 100x that (${aimEventsPerMinute.toLocaleString('en-US')}/min = ${Math.round(aimEventsPerMinute / 60).toLocaleString('en-US')}/s). ` +
        `Measured: ${Math.round(eventsPerMinute).toLocaleString('en-US')} task events a minute through all three functions (x${figures.ratioToSeedsBar} the bar, x${figures.ratioToAim} the aim).`,
      "`startLocalSystem` with KAFKA_BROKERS (the run's broker; topics from brokers/topics) and DATABASE_URL (a database of the run), `func.yaml` scale settings as they are, " +
        `overrides: scale-to-zero grace ${gracePeriodMs / 1000} s (no function restarts cold mid-run) and offsets committed every ${commitIntervalMs / 1000} s (Knative: 5 s) so the lag read from the committed offsets follows the work. ` +
        `Load: ${pipelineRatePerSecond} POST /tasks per second on a fixed schedule (open loop) from a process of its own straight to the API (not through the gateway), each with an assignee, a due date and a reminder, so every function has work. ` +
        'A warm-up (2 s of load, every source drained) starts every function first. Then `system.status()` every second: lag = end offset - committed offset per source. ' +
        "CPU per process from /proc: the bench process holds the Task API, the KafkaSources (dispatchers), the KafkaSinks and the activators; PostgreSQL = the backends of the run's database; Kafka = the broker JVM the run started.",
    ],
  }
}

export default benchmark

/**
 * Every function has work: audit-log records the task, notification-fanout notifies the assignee,
 * reminders schedules the reminder an hour before the due date (two days ahead).
 */
function pipelineTaskBody(): LoadBody {
  const dueAt = new Date(Date.now() + 2 * 24 * 3600_000).toISOString()
  return { titlePrefix: 'pipeline task', fields: { assignee: 'bob', dueAt, remindMinutesBefore: 60 } }
}
