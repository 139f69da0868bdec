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
import { type ColdPipeline, measureColdPipeline } from './cold-pipeline.ts'
import { readEffectLatencies } from './effect-latency.ts'
import { noopFunctionName, startNoopBaseline } from './noop-baseline.ts'
import { measureReminderLateness, type ReminderLateness } from './reminder-lateness.ts'
import { functionGroupOf, type PipelineSample, postgresGroupOf, samplePipeline } from './sample-pipeline.ts'

const seedsEventsPerMinute = 10_000
const aimEventsPerMinute = 100 * seedsEventsPerMinute
// Tasks per second, posted on a fixed schedule (open loop). A closed loop as fast as the API answers
// (it takes ~1,000 tasks/s) starves the functions of CPU on a 2-core machine and measures the API, not
// the pipeline: a paced load shows whether every source keeps up with a rate for the whole minute.
const pipelineRatePerSecond = 200
/** Offered in the throughput phase: above what the pipeline takes, so the drain measures its capacity. */
const throughputRatePerSecond = 1_000
const loadConnections = 64
/** The paced load before the clock runs. */
const warmupMs = 30_000
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
    // The system as sampled: its own sources and functions plus, while it runs, the baseline's.
    const withBaseline = {
      ...system,
      sources: [...system.sources, baseline.source],
      functions: new Map([...system.functions, [noopFunctionName, baseline.host]]),
    }
    const status = () => collectStatus(withBaseline)

    // Warm-up: every function started (cold start) and every source delivering before the clock runs,
    // at the paced rate long enough for the JITs (the broker's C2 compiler took 12-14 % of a core for
    // the first minute of a fresh run) to settle, as they have on a cluster that has been running.
    const body = pipelineTaskBody()
    const warmup = startTaskLoadProcess({
      url: new URL(system.api.url),
      body,
      concurrency: loadConnections,
      durationMs: context.size(warmupMs, 2_000),
      ratePerSecond: pipelineRatePerSecond,
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

    const url = new URL(system.api.url)
    const runPhase = async (phase: {
      measured: typeof system
      label: string
      rate: number
      loadMs: number
      drainCapMs: number
      firstIndex: number
    }) => {
      const from = new Date()
      const load = startTaskLoadProcess({
        url,
        body,
        firstIndex: phase.firstIndex,
        concurrency: loadConnections,
        durationMs: phase.loadMs,
        ratePerSecond: phase.rate,
      })
      context.defer(() => load.close())
      const bar = context.progress(
        `${phase.label}: load + drain (s)`,
        (phase.loadMs + phase.drainCapMs) / 1000,
      )
      const samples = await samplePipeline({
        system: { status: () => collectStatus(phase.measured) },
        functions: phase.measured.functions,
        load,
        databaseName: database.name,
        databaseUrl: database.url,
        loadMs: phase.loadMs,
        drainCapMs: phase.drainCapMs,
        onSample: () => bar.increment(),
      })
      bar.finish()
      const loadDone = await load.done
      return { samples, loadDone, window: { from, to: new Date() }, loadMs: phase.loadMs, rate: phase.rate }
    }

    // Phase 1, latency: a rate the seeds name a bar for, held for a minute, every effect dated.
    const paced = await runPhase({
      measured: withBaseline,
      label: `${pipelineRatePerSecond}/s`,
      rate: pipelineRatePerSecond,
      loadMs: context.size(60_000, 10_000),
      drainCapMs: context.size(90_000, 20_000),
      firstIndex: 1_000_000,
    })
    const latency = await readEffectLatencies(database.url, paced.window)
    // Phase 2, throughput: more than the pipeline takes, then until every source drained; the
    // pipeline alone (the baseline has given its figure, and would take a share of the two cores).
    await baseline.stop()
    const saturated = await runPhase({
      measured: system,
      label: `${throughputRatePerSecond}/s`,
      rate: throughputRatePerSecond,
      loadMs: context.size(20_000, 5_000),
      drainCapMs: context.size(120_000, 30_000),
      firstIndex: 2_000_000,
    })

    // Phase 3, reminders: the PingSource at its cron schedule (every minute), remindAt spread over the
    // ticks; how far from its time each reminder reached the assignee.
    const reminderWaitMs = context.size(75_000, 65_000)
    const spreadMs = context.size(120_000, 30_000)
    const reminderBar = context.progress(
      'reminders: spread + wait (s)',
      (spreadMs + reminderWaitMs + 5_000) / 1000,
    )
    const reminders = await measureReminderLateness({
      apiUrl: system.api.url,
      databaseUrl: database.url,
      tasks: context.size(240, 30),
      spreadMs,
      waitAfterMs: reminderWaitMs,
      onProgress: () => reminderBar.increment(),
    })
    reminderBar.finish()

    // Phase 4, cold: the same system again, its functions scaling to zero after a second; rounds of
    // one task, each posted once no function has a process left.
    await system.stop()
    const rounds = context.size(20, 3)
    const coldBar = context.progress('cold rounds', rounds)
    const cold = await measureColdPipeline({
      config,
      databaseUrl: database.url,
      rounds,
      onRound: () => coldBar.increment(),
    })
    coldBar.finish()

    return report({
      paced,
      saturated,
      latency,
      reminders,
      cold,
      sourceNames,
      quick: context.quick,
      loadAverage,
    })
  },
}

type Phase = {
  readonly samples: readonly PipelineSample[]
  readonly loadDone: { ok: number; failed: number; elapsedMs: number }
  readonly loadMs: number
  readonly rate: number
}

/** Tasks per second from the load's start until the slowest source delivered the last of them. */
function sustainedRate(phase: Phase, sourceNames: readonly string[]) {
  const last = phase.samples.at(-1)!
  const drained = last.lagTotal === 0
  const slowestDelivered = Math.min(...sourceNames.map((name) => last.delivered[name] ?? 0))
  return {
    drained,
    tasksPerSecond: drained ? phase.loadDone.ok / last.second : slowestDelivered / last.second,
    drainedAfterLoadS: drained ? round1(last.second - phase.loadMs / 1000) : Number.NaN,
  }
}

async function report(run: {
  paced: Phase
  saturated: Phase
  latency: Awaited<ReturnType<typeof readEffectLatencies>>
  reminders: ReminderLateness
  cold: ColdPipeline
  sourceNames: readonly string[]
  quick: boolean
  loadAverage: number
}): Promise<BenchReport> {
  const { paced, saturated, latency, reminders, cold, sourceNames, quick, loadAverage } = run
  const { samples, loadDone, loadMs } = paced
  const loadSeconds = loadMs / 1000
  const duringLoad = samples.filter((sample) => sample.second <= loadSeconds)
  const endOfLoad = duringLoad.at(-1)!
  const last = samples.at(-1)!
  const tasks = loadDone.ok
  const apiTasksPerSecond = (tasks * 1000) / loadDone.elapsedMs
  // Every task event is delivered once to each function: the pipeline is done with a task when the
  // slowest source delivered it.
  const pacedRate = sustainedRate(paced, sourceNames)
  const capacity = sustainedRate(saturated, sourceNames)
  const eventsPerMinute = capacity.tasksPerSecond * 60

  const perSource = [...sourceNames, noopFunctionName].map((name) => {
    const deliveredInLoad = endOfLoad.delivered[name] ?? 0
    const maxLag = Math.max(...samples.map((sample) => sample.lag[name] ?? 0))
    const drainedAt = samples.find(
      (sample) => sample.second >= loadSeconds && (sample.lag[name] ?? 0) === 0,
    )?.second
    const saturatedDrainedAt = saturated.samples.find(
      (sample) => sample.second >= saturated.loadMs / 1000 && (sample.lag[name] ?? 0) === 0,
    )?.second
    return {
      name,
      ordering: last.ordering[name] ?? '',
      deliveredPerSecond: deliveredInLoad / endOfLoad.second,
      lagAtEndOfLoad: endOfLoad.lag[name] ?? 0,
      maxLag,
      drainedAfterLoadS: drainedAt === undefined ? Number.NaN : round1(drainedAt - loadSeconds),
      // The baseline is stopped before that phase: nothing to report.
      saturatedDrainedAfterLoadS:
        name === noopFunctionName
          ? ''
          : saturatedDrainedAt === undefined
            ? Number.NaN
            : round1(saturatedDrainedAt - saturated.loadMs / 1000),
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

  // CPU per delivered event over the paced phase (load and drain): the function's processes and its
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
    pacedSustainedTasksPerSecond: Math.round(pacedRate.tasksPerSecond),
    sustainedTasksPerSecond: Math.round(capacity.tasksPerSecond),
    eventsPerMinute: Math.round(eventsPerMinute),
    ratioToSeedsBar: ratio(eventsPerMinute, seedsEventsPerMinute),
    ratioToAim: ratio(eventsPerMinute, aimEventsPerMinute),
    machineCpuPercent: machineCpu,
    benchProcessEventLoopBusyPercent: benchElu,
    drainedAfterLoadS: pacedRate.drainedAfterLoadS,
    saturatedDrainedAfterLoadS: capacity.drainedAfterLoadS,
    loadAverageAtStart: loadAverage,
  }
  for (const source of perSource) {
    figures[`${source.name}.deliveredPerSecond`] = Math.round(source.deliveredPerSecond)
    figures[`${source.name}.maxLag`] = source.maxLag
  }
  for (const row of perEvent) figures[`${row.name}.cpuMsPerEvent`] = round2(row.totalMs)
  figures.coldSlowestEffectP50Ms = Math.round(cold.slowestP50Ms)
  figures.coldSlowestEffectMaxMs = Math.round(cold.slowestMaxMs)
  for (const effect of cold.latencies) figures[`${effect.name}.coldEffectP99Ms`] = Math.round(effect.p99Ms)
  figures.reminderLatenessMinS = round1(reminders.minS)
  figures.reminderLatenessP50S = round1(reminders.p50S)
  figures.reminderLatenessP99S = round1(reminders.p99S)
  figures.reminderLatenessMaxS = round1(reminders.maxS)
  figures.remindersNotified = reminders.notified
  for (const effect of latency.latencies) {
    figures[`${effect.name}.effectP50Ms`] = Math.round(effect.p50Ms)
    figures[`${effect.name}.effectP99Ms`] = Math.round(effect.p99Ms)
  }

  // The per-second samples, for whoever wants more than the chart (the runner keeps the report only).
  const folder = fileURLToPath(
    new URL(quick ? '../results/quick/pipeline/' : '../results/pipeline/', import.meta.url),
  )
  await mkdir(folder, { recursive: true })
  await writeFile(
    `${folder}samples-latest.json`,
    `${JSON.stringify({ paced: samples, saturated: saturated.samples }, null, 1)}\n`,
  )

  // One point per few seconds: the chart labels every x value.
  const step = Math.max(1, Math.ceil(last.second / 15))
  const charted = samples.filter(
    (sample, index) => sample.second % step === 0 || index === samples.length - 1,
  )
  const limiter = perSource
    .filter((source) => source.name !== noopFunctionName)
    .reduce((worst, source) => (source.maxLag > worst.maxLag ? source : worst))
  const slowestEffect = latency.latencies.reduce((worst, effect) =>
    effect.p99Ms > worst.p99Ms ? effect : worst,
  )

  return {
    tables: [
      {
        title: `Pipeline: ${tasks.toLocaleString('en-US')} tasks paced at ${paced.rate}/s for ${loadSeconds} s, then ${saturated.loadDone.ok.toLocaleString('en-US')} offered at ${saturated.rate}/s for ${saturated.loadMs / 1000} s; every task event delivered to the three functions`,
        columns: ['measurement', 'value', 'x seeds bar (10k events/min)', 'x aim (1M events/min)'],
        rows: [
          [
            `API accepted at ${paced.rate}/s offered, tasks/s`,
            Math.round(apiTasksPerSecond),
            ratio(apiTasksPerSecond * 60, seedsEventsPerMinute),
            ratio(apiTasksPerSecond * 60, aimEventsPerMinute),
          ],
          [
            `pipeline at ${paced.rate}/s offered, tasks/s (posted until every source drained)`,
            Math.round(pacedRate.tasksPerSecond),
            ratio(pacedRate.tasksPerSecond * 60, seedsEventsPerMinute),
            ratio(pacedRate.tasksPerSecond * 60, aimEventsPerMinute),
          ],
          [
            `pipeline sustained at ${saturated.rate}/s offered, tasks/s (posted until every source drained)`,
            Math.round(capacity.tasksPerSecond),
            figures.ratioToSeedsBar!,
            figures.ratioToAim!,
          ],
          [
            'pipeline sustained, task events / minute',
            Math.round(eventsPerMinute),
            figures.ratioToSeedsBar!,
            figures.ratioToAim!,
          ],
          [
            `drained after the ${paced.rate}/s load stopped, s`,
            pacedRate.drained ? pacedRate.drainedAfterLoadS : 'not in the cap',
            '',
            '',
          ],
        ],
      },
      {
        title: `POST -> effect at ${paced.rate}/s (task created_at -> the effect's own timestamp, ${latency.tasks.toLocaleString('en-US')} tasks)`,
        columns: ['function', 'effect', 'tasks with it', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        rows: latency.latencies.map((effect) => [
          effect.name,
          effectNames[effect.name] ?? '',
          effect.effects,
          Math.round(effect.p50Ms),
          Math.round(effect.p90Ms),
          Math.round(effect.p99Ms),
          Math.round(effect.maxMs),
        ]),
      },
      {
        title: `First event after every function scaled to zero: POST -> effect, ${cold.rounds} rounds of one task (the last of the three effects: p50 ${Math.round(cold.slowestP50Ms)} ms, max ${Math.round(cold.slowestMaxMs)} ms)`,
        columns: ['function', 'effect', 'p50 ms', 'p99 ms', 'max ms'],
        rows: cold.latencies.map((effect) => [
          effect.name,
          effectNames[effect.name] ?? '',
          Math.round(effect.p50Ms),
          Math.round(effect.p99Ms),
          Math.round(effect.maxMs),
        ]),
      },
      {
        title: `Reminders: remindAt -> the assignee's reminder notification, ${reminders.tasks} tasks with remindAt spread over two minutes, PingSource every minute (cron), tick lead 30 s`,
        columns: ['notified', 'earliest s', 'p50 s', 'p99 s', 'latest s'],
        rows: [
          [
            `${reminders.notified} of ${reminders.tasks}`,
            round1(reminders.minS),
            round1(reminders.p50S),
            round1(reminders.p99S),
            round1(reminders.maxS),
          ],
        ],
      },
      {
        title: `Per KafkaSource (task-events, 12 partitions; ${noopFunctionName}: the baseline, a copy of audit-log's to a no-op function)`,
        columns: [
          'source',
          'ordering',
          `delivered/s at ${paced.rate}/s`,
          'lag at end of load',
          'max lag',
          'drained after load, s',
          `drained after the ${saturated.rate}/s load, s`,
        ],
        rows: perSource.map((source) => [
          source.name,
          source.ordering,
          Math.round(source.deliveredPerSecond),
          source.lagAtEndOfLoad,
          source.maxLag,
          source.drainedAfterLoadS,
          source.saturatedDrainedAfterLoadS,
        ]),
      },
      {
        title: `CPU per delivered event at ${paced.rate}/s (load and drain): the function processes and their PostgreSQL backends (application_name)`,
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
        title: `CPU during the ${paced.rate}/s load (% of one core; ${samples[0]?.cpus ?? '?'} CPUs = ${(samples[0]?.cpus ?? 0) * 100} %), machine ${machineCpu} % busy, bench process event loop ${benchElu} % busy`,
        columns: ['process', 'average %', 'max %'],
        rows: cpuRows,
      },
    ],
    figures,
    headline: [
      `API ${Math.round(apiTasksPerSecond)} tasks/s`,
      `pipeline ${Math.round(capacity.tasksPerSecond)} tasks/s = ${Math.round(eventsPerMinute)} events/min (x${figures.ratioToSeedsBar} seeds bar, x${figures.ratioToAim} aim)`,
      `POST -> effect p99 at ${paced.rate}/s: ${latency.latencies.map((effect) => `${effect.name} ${Math.round(effect.p99Ms)} ms`).join(', ')}`,
      `CPU/event ${perEvent.map((row) => `${row.name} ${round2(row.totalMs)} ms`).join(', ')}`,
      `max lag ${limiter.name} ${limiter.maxLag}`,
    ],
    charts: [
      {
        kind: 'line',
        title: `Pipeline: POST -> effect latency at ${paced.rate}/s by percentile`,
        unit: 'ms',
        xLabel: 'percentile of tasks',
        series: latency.latencies.map((effect) => ({ name: effect.name, points: effect.curve })),
      },
      {
        kind: 'line',
        title: 'Reminders: distance from remindAt to the notification (either side), by percentile',
        unit: 's',
        xLabel: 'percentile of reminders',
        series: [{ name: '|notified - remindAt|', points: reminders.curve }],
      },
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
      `Goals (issue 18): >= 600 tasks/s sustained; at ${paced.rate}/s POST -> effect p99 < 1 s per function; <= 0.6 ms CPU per event per function with its PostgreSQL backends. ` +
        `Measured: ${Math.round(capacity.tasksPerSecond)} tasks/s sustained (${Math.round(eventsPerMinute).toLocaleString('en-US')} task events a minute, x${figures.ratioToSeedsBar} the seeds' bar of ${seedsEventsPerMinute.toLocaleString('en-US')}); ` +
        `slowest POST -> effect p99 ${Math.round(slowestEffect.p99Ms)} ms (${slowestEffect.name}); the no-op function alone costs ${round2(noopMs)} ms per event; ` +
        `reminders notified ${round1(reminders.minS)} to ${round1(reminders.maxS)} s from their time (goal: within 60 s); ` +
        `first event after scale to zero, last effect p50 ${Math.round(cold.slowestP50Ms)} ms, max ${Math.round(cold.slowestMaxMs)} ms (goal: p99 < 1.5 s).`,
      "`startLocalSystem` with KAFKA_BROKERS (the run's broker; topics from brokers/topics) and DATABASE_URL (a database of the run), `func.yaml` scale settings as they are, " +
        `overrides: scale-to-zero grace ${gracePeriodMs / 1000} s (no function restarts cold mid-run) and offsets committed every ${commitIntervalMs / 1000} s (Knative: 5 s) so the lag read from the committed offsets follows the work. ` +
        `Load: POST /tasks on a fixed schedule (open loop) from a process of its own straight to the API (not through the gateway), each with an assignee, a due date and a reminder, so every function has work: ${paced.rate}/s for ${loadSeconds} s, then ${saturated.rate}/s for ${saturated.loadMs / 1000} s (more than the pipeline takes; sustained = tasks / seconds until every source delivered them). ` +
        `A warm-up (${warmupMs / 1000} s at ${paced.rate}/s, every source drained) starts every function and warms the JITs (broker, functions) first. ` +
        'Then `system.status()` every second: lag = end offset - committed offset per source. ' +
        'CPU per process from /proc: the bench process holds the Task API, the KafkaSources (dispatchers), the KafkaSinks and the activators; PostgreSQL backends by application_name; Kafka = the broker JVM the run started. ' +
        `A no-op faas-js-runtime function (bench/pipeline/noop-function) behind its own activator and a copy of audit-log's KafkaSource gets every event of the ${paced.rate}/s phase too (the platform's own cost per event) and is stopped before the ${saturated.rate}/s phase, which measures the pipeline alone. ` +
        'Sources reach the activators in the same process by a call, not a loopback HTTP request (as `npm start` runs them).',
    ],
  }
}

const effectNames: Record<string, string> = {
  'audit-log': 'audit row recorded',
  'notification-fanout': 'in-app notification stored',
  reminders: 'reminder scheduled',
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
