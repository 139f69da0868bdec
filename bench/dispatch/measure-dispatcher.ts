// The dispatch benchmarks' measurements of deliverAll (deliver-all.ts): in the bench process, or alone
// in a child process of its own (dispatcher-process.ts) for its memory.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { EventLog } from '../../local/src/eventlog/index.ts'
import type { Measurement, Ordering } from '../baseline/measure.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'
import type { NoopSink } from '../src/harness/noop-sink.ts'
import { perSecond } from '../src/harness/stats.ts'
import { deliverAll } from './deliver-all.ts'
import type { DispatcherJob, DispatcherReport } from './dispatcher-process.ts'

export async function measureDispatcher(
  context: BenchContext,
  options: {
    log: EventLog
    topic: string
    records: number
    /** The no-op sink (its CPU is reported) or any URL, e.g. a function host's. */
    sink: NoopSink | { readonly url: URL }
    ordering: Ordering
    label: string
  },
): Promise<Measurement> {
  const { sink, records } = options
  const bar = context.progress(options.label, records)
  const sinkCpu = 'cpuMs' in sink ? () => sink.cpuMs() : undefined
  const sinkCpuBefore = sinkCpu ? await sinkCpu() : 0
  try {
    const { elapsedMs, cpuMs } = await deliverAll({
      ...options,
      sink: sink.url,
      timeoutMs: context.size(600_000, 120_000),
      onProgress: (delivered) => bar.update(delivered),
    }).catch((error: Error) => {
      throw new Error(`${options.label}: ${error.message}`)
    })
    bar.finish()
    return {
      events: records,
      elapsedMs,
      eventsPerSecond: perSecond(records, elapsedMs),
      cpuMs,
      ...(sinkCpu ? { sinkCpuMs: (await sinkCpu()) - sinkCpuBefore } : {}),
    }
  } finally {
    bar.finish()
  }
}

/**
 * The same dispatcher alone in a child process (dispatcher-process.ts) over a Kafka topic: its time,
 * CPU and peak RSS, as a dispatcher per source would run. The sink's CPU is reported as above.
 */
export async function measureDispatcherProcess(
  context: BenchContext,
  options: {
    brokers: string[]
    topic: string
    records: number
    sink: NoopSink
    ordering: Ordering
    label: string
  },
): Promise<Measurement & { peakRssBytes: number }> {
  const bar = context.progress(options.label, options.records)
  const sinkCpuBefore = await options.sink.cpuMs()
  const child = fork(new URL('./dispatcher-process.ts', import.meta.url), [], { stdio: 'inherit' })
  context.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  try {
    const job: DispatcherJob = {
      brokers: options.brokers,
      topic: options.topic,
      records: options.records,
      sink: options.sink.url.href,
      ordering: options.ordering,
      timeoutMs: context.size(600_000, 120_000),
    }
    child.send(job)
    const done = await new Promise<Extract<DispatcherReport, { kind: 'done' }>>((resolve, reject) => {
      child.on('message', (report: DispatcherReport) => {
        if (report.kind === 'progress') bar.update(report.delivered)
        else if (report.kind === 'done') resolve(report)
        else reject(new Error(`${options.label}: ${report.message}`))
      })
      child.once('exit', (code) => reject(new Error(`${options.label}: the dispatcher exited with ${code}`)))
    })
    bar.finish()
    return {
      events: options.records,
      elapsedMs: done.elapsedMs,
      eventsPerSecond: perSecond(options.records, done.elapsedMs),
      cpuMs: done.cpuMs,
      sinkCpuMs: (await options.sink.cpuMs()) - sinkCpuBefore,
      peakRssBytes: done.peakRssBytes,
    }
  } finally {
    bar.finish()
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
  }
}
