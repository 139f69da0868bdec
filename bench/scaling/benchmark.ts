// Benchmark 6: scaling. Throughput of the slow-echo fixture doing 5 ms of simulated work with a fixed
// number of processes (min = max = N), fed by the local KafkaSource dispatcher through the function
// host, ordered and unordered, on 12 partitions: where it stops scaling, and whether partitions
// (ordered: at most one event in flight per partition) or the CPUs are the limit.

import { availableParallelism } from 'node:os'
import { pino } from 'pino'
import { createKafkaEventLog } from '../../local/src/eventlog/index.ts'
import { filledTopic } from '../baseline/measure.ts'
import { slowEcho, startBenchHost } from '../cold-start/bench-functions.ts'
import { dispatcherMaxInFlight } from '../dispatch/deliver-all.ts'
import { measureDispatcher } from '../dispatch/measure-dispatcher.ts'
import type { Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { busyPercent, readCpuTimes } from './machine-cpu.ts'

const partitions = 12
const workMs = 5
const orderings = ['ordered', 'unordered'] as const

const benchmark: Benchmark = {
  name: 'scaling',
  order: 6,
  title: 'Scaling: a 5 ms function over 1, 2, 4, 8 processes',
  needs: ['kafka'],
  async run(context): Promise<BenchReport> {
    const records = context.size(20_000, 2_000)
    const counts = context.size([1, 2, 4, 8], [1, 2])
    const filled = await filledTopic(context, partitions, records)
    const brokers = await context.kafkaBrokers()
    const log = createKafkaEventLog({
      brokers,
      clientId: 'taskflow-bench-scaling',
      logger: pino({ level: 'silent' }),
    })
    context.defer(() => log.close())
    const rows: (string | number)[][] = []
    const figures: Record<string, number> = {}
    const series = orderings.map((ordering) => ({ name: ordering, points: [] as [number, number][] }))

    for (const processes of counts) {
      const host = await startBenchHost(context, slowEcho, {
        sinkUrl: new URL('http://127.0.0.1:9/'),
        overrides: {
          name: `slow-echo-${processes}`,
          scale: { min: processes, max: processes },
          containerConcurrency: 0,
          env: { SLOW_ECHO_DELAY_MS: String(workMs) },
        },
      })
      const deadline = Date.now() + 60_000
      while (host.processes().filter((proc) => proc.state === 'ready').length < processes) {
        if (Date.now() > deadline) throw new Error(`${processes} slow-echo processes were not ready in 60 s`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      for (const [index, ordering] of orderings.entries()) {
        const cpuBefore = readCpuTimes()
        const measured = await measureDispatcher(context, {
          log,
          topic: filled.topic,
          records,
          sink: { url: new URL(host.url) },
          ordering,
          label: `${ordering} x${processes}`,
        })
        const machineBusy = busyPercent(cpuBefore, readCpuTimes())
        const bound =
          ordering === 'ordered' ? partitions * (1000 / workMs) : dispatcherMaxInFlight * (1000 / workMs)
        const perProcess = host.processes().map((proc) => proc.served)
        rows.push([
          ordering,
          processes,
          Math.round(measured.eventsPerSecond),
          Math.round(bound),
          machineBusy,
          Math.round((measured.cpuMs / measured.elapsedMs) * 100),
          perProcess.join(' / '),
        ])
        figures[`${ordering}.x${processes}.eventsPerSecond`] = Math.round(measured.eventsPerSecond)
        figures[`${ordering}.x${processes}.machineCpuPercent`] = machineBusy
        series[index]!.points.push([processes, Math.round(measured.eventsPerSecond)])
      }
      await host.stop()
    }
    const best = (ordering: string) =>
      Math.max(...counts.map((count) => figures[`${ordering}.x${count}.eventsPerSecond`] ?? 0))
    return {
      tables: [
        {
          title: `Scaling: slow-echo with ${workMs} ms of work, ${partitions} partitions, ${records.toLocaleString('en-US')} events per point, ${availableParallelism()} CPUs`,
          columns: [
            'ordering',
            'processes',
            'events/s',
            'in-flight bound (events/s)',
            'machine CPU %',
            'dispatcher CPU % of one core',
            'served per process',
          ],
          rows,
        },
      ],
      figures,
      headline: orderings.map((ordering) => `${ordering} best ${best(ordering)}/s`),
      charts: [
        {
          kind: 'line',
          title: 'Scaling: events per second by process count',
          unit: 'events/s',
          xLabel: 'function processes (min = max)',
          series,
        },
      ],
      notes: [
        `In-flight bound: what the work alone would allow if CPUs were free: ordered keeps one event in flight per partition (${partitions} x 1000/${workMs} ms = ${partitions * (1000 / workMs)}/s whatever the process count), ` +
          `unordered keeps ${dispatcherMaxInFlight} in flight (${dispatcherMaxInFlight * (1000 / workMs)}/s). ` +
          'The path of each event is dispatcher -> activator (function host) -> function process -> back, all on the same machine as the broker: ' +
          'when the machine CPU column nears 100 % the CPUs, not the processes, are the limit, and more processes only add context switches and memory.',
      ],
    }
  },
}

export default benchmark
