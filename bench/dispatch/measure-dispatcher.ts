// Runs the local KafkaSource dispatcher (local/src/eventing) over a filled topic of an event log, with a
// fresh consumer group, until every record was delivered to the sink.
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { pino } from 'pino'
import { knativeDefaultDeliveryPolicy } from '../../local/src/eventing/delivery-policy.ts'
import { startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import type { EventLog } from '../../local/src/eventlog/index.ts'
import { cpuMsSince, type Measurement, type Ordering } from '../baseline/measure.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'
import type { NoopSink } from '../src/harness/noop-sink.ts'
import { perSecond } from '../src/harness/stats.ts'
import type { DispatcherJob, DispatcherReport } from './dispatcher-process.ts'

/** The same in-flight bound as the unordered baseline (Knative's own default is 50). */
export const dispatcherMaxInFlight = 100

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
  const { log, topic, records, sink, ordering } = options
  const bar = context.progress(options.label, records)
  const sinkCpu = 'cpuMs' in sink ? () => sink.cpuMs() : undefined
  const sinkCpuBefore = sinkCpu ? await sinkCpu() : 0
  const dispatcher = await startKafkaSource({
    spec: {
      name: 'bench',
      namespace: 'bench',
      topics: [topic],
      consumerGroup: `bench-${randomUUID()}`,
      initialOffset: 'earliest',
      ordering,
      delivery: knativeDefaultDeliveryPolicy,
      sink: sink.url,
      deadLetterSink: null,
    },
    log,
    logger: pino({ level: 'silent' }),
    maxInFlight: dispatcherMaxInFlight,
  })
  try {
    // As for the baselines, the clock starts once the group is joined (partitions assigned).
    while (dispatcher.consumer().assignment().length === 0) await new Promise((r) => setTimeout(r, 1))
    const startedAt = performance.now()
    const cpuBefore = process.cpuUsage()
    const deadline = Date.now() + context.size(600_000, 120_000)
    for (;;) {
      const stats = dispatcher.stats()
      const finished = stats.delivered + stats.dropped
      bar.update(finished)
      if (stats.dropped > 0) throw new Error(`${options.label}: ${stats.dropped} events dropped`)
      if (finished >= records) break
      if (Date.now() > deadline)
        throw new Error(`${options.label}: ${finished} of ${records} delivered in time`)
      await new Promise((r) => setTimeout(r, 2))
    }
    const elapsedMs = performance.now() - startedAt
    const cpuMs = cpuMsSince(cpuBefore)
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
    await dispatcher.stop()
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
      maxInFlight: dispatcherMaxInFlight,
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
