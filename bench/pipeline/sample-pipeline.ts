// Samples a running local system every second while the load runs and until every source drained:
// per source its lag and deliveries, per function its processes, per process group its CPU.
import { availableParallelism } from 'node:os'
import pg from 'pg'
import type { FunctionHost } from '../../local/src/serving/function-host.ts'
import type { LocalSystem } from '../../local/src/system.ts'
import type { TaskLoadProcess } from '../api/task-load-process.ts'
import { busyPercent, readCpuTimes } from '../scaling/machine-cpu.ts'
import { childPidsNamed, createCpuMeter } from './process-cpu.ts'

export interface PipelineSample {
  /** Seconds since the load started. */
  readonly second: number
  /** Tasks created (201) since the load started. */
  readonly posted: number
  readonly postedPerSecond: number
  readonly ordering: Readonly<Record<string, string>>
  readonly lag: Readonly<Record<string, number>>
  readonly lagTotal: number
  /** Events each source finished (delivered, dead-lettered or dropped) since the load started. */
  readonly delivered: Readonly<Record<string, number>>
  readonly deliveredPerSecond: Readonly<Record<string, number>>
  readonly functionProcesses: Readonly<Record<string, number>>
  /** CPU of each process group over the last interval, in % of one core. */
  readonly cpuPercent: Readonly<Record<string, number>>
  /** The same in CPU ms, unrounded (per-event costs are computed from these). */
  readonly cpuMs: Readonly<Record<string, number>>
  readonly machineCpuPercent: number
  /** Event-loop utilization (0..1) of the bench process: the Task API, dispatchers, sinks, activators. */
  readonly benchEventLoopUtilization: number
  readonly cpus: number
}

export interface SamplePipelineOptions {
  readonly system: Pick<LocalSystem, 'status'>
  /** The function hosts whose processes (and PostgreSQL backends) are measured, by name. */
  readonly functions: ReadonlyMap<string, FunctionHost>
  readonly load: TaskLoadProcess
  readonly databaseName: string
  readonly databaseUrl: string
  readonly loadMs: number
  /** After the load, sample until every source drained or this long. */
  readonly drainCapMs: number
  readonly onSample?: () => void
}

export const functionGroupOf = (name: string) => `function ${name}`
export const postgresGroupOf = (name: string) => `PostgreSQL backends of ${name}`
const postgresOthersGroup = 'PostgreSQL backends of the Task API and others'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function samplePipeline(options: SamplePipelineOptions): Promise<PipelineSample[]> {
  const { system, load } = options
  const cpus = availableParallelism()
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'taskflow-bench-sampler',
  })
  await client.connect()
  // Each function names its connections (application_name): its backends count as its own CPU.
  const functionNames = new Set(options.functions.keys())
  const postgresGroups = async (): Promise<Record<string, number[]>> => {
    const { rows } = await client.query<{ pid: number; application_name: string }>(
      'select pid, application_name from pg_stat_activity where datname = $1',
      [options.databaseName],
    )
    const grouped: Record<string, number[]> = { [postgresOthersGroup]: [] }
    for (const name of functionNames) grouped[postgresGroupOf(name)] = []
    for (const row of rows) {
      const group = functionNames.has(row.application_name)
        ? postgresGroupOf(row.application_name)
        : postgresOthersGroup
      grouped[group]!.push(row.pid)
    }
    return grouped
  }
  const brokerPids = childPidsNamed('java')
  const meter = createCpuMeter()
  const groups = async (): Promise<Record<string, number[]>> => ({
    'bench process (Task API, sources, sinks, activators)': [process.pid],
    'load generator': [load.pid],
    ...Object.fromEntries(
      [...options.functions.values()].map((host) => [
        functionGroupOf(host.name),
        host.processes().flatMap((proc) => (proc.pid === undefined ? [] : [proc.pid])),
      ]),
    ),
    ...(await postgresGroups()),
    ...(brokerPids.length > 0 ? { 'Kafka broker (JVM)': brokerPids } : {}),
  })
  const finished = (source: { delivered: number; deadLettered: number; dropped: number }) =>
    source.delivered + source.deadLettered + source.dropped

  try {
    const initial = await system.status()
    const base = Object.fromEntries(initial.sources.map((source) => [source.name, finished(source)]))
    meter(await groups())
    let machineBefore = readCpuTimes()
    let eluBefore = performance.eventLoopUtilization()
    let loadFinished = false
    void load.done.then(
      () => {
        loadFinished = true
      },
      () => {
        loadFinished = true
      },
    )
    const samples: PipelineSample[] = []
    const startedAt = performance.now()
    let previous: PipelineSample | undefined
    for (let tick = 1; ; tick++) {
      await sleep(Math.max(0, startedAt + tick * 1000 - performance.now()))
      const status = await system.status()
      const machineNow = readCpuTimes()
      const eluNow = performance.eventLoopUtilization()
      const used = meter(await groups())
      const machineCpuPercent = busyPercent(machineBefore, machineNow)
      // What the machine did beside the pipeline (other users' processes, the kernel).
      const ours = Object.values(used).reduce((sum, ms) => sum + ms, 0) / 10
      used['everything else on the machine'] = Math.max(0, machineCpuPercent * cpus - ours) * 10
      const posted = load.counts().ok
      const delivered = Object.fromEntries(
        status.sources.map((source) => [source.name, finished(source) - (base[source.name] ?? 0)]),
      )
      const sample: PipelineSample = {
        second: tick,
        posted,
        postedPerSecond: posted - (previous?.posted ?? 0),
        ordering: Object.fromEntries(status.sources.map((source) => [source.name, source.ordering])),
        lag: Object.fromEntries(status.sources.map((source) => [source.name, source.lag])),
        lagTotal: status.sources.reduce((sum, source) => sum + source.lag, 0),
        delivered,
        deliveredPerSecond: Object.fromEntries(
          Object.entries(delivered).map(([name, count]) => [name, count - (previous?.delivered[name] ?? 0)]),
        ),
        functionProcesses: Object.fromEntries(status.functions.map((fn) => [fn.name, fn.processes])),
        cpuPercent: Object.fromEntries(
          Object.entries(used).map(([group, ms]) => [group, Math.round(ms / 10)]),
        ),
        cpuMs: used,
        machineCpuPercent,
        benchEventLoopUtilization:
          Math.round(performance.eventLoopUtilization(eluNow, eluBefore).utilization * 100) / 100,
        cpus,
      }
      machineBefore = machineNow
      eluBefore = eluNow
      samples.push(sample)
      previous = sample
      options.onSample?.()
      const elapsedMs = tick * 1000
      const allDelivered = Object.values(delivered).every((count) => count >= posted)
      if (loadFinished && elapsedMs >= options.loadMs && sample.lagTotal === 0 && allDelivered) break
      if (elapsedMs >= options.loadMs + options.drainCapMs) break
    }
    return samples
  } finally {
    await client.end().catch(() => {})
  }
}
