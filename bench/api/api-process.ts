// Child process of startApiProcess(): the Task API (`startApi`) in a process of its own, as it runs in
// production, so the load generator of the benchmark does not share its event loop. The parent sends
// the environment to read (`loadConfig(env)`: this process never reads its own environment for it).
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import type { RunningApi } from '../../api/src/index.ts'
import { loadConfig, startApi } from '../../api/src/index.ts'

type ParentMessage =
  | { kind: 'start'; env: Record<string, string> }
  | { kind: 'cpu' }
  | { kind: 'elu' }
  | { kind: 'metrics' }
  | { kind: 'stalls' }

let api: RunningApi | undefined
let eluBefore = performance.eventLoopUtilization()

// Where a request's tail comes from: how late the event loop ran what was ready (1 ms resolution),
// and the garbage collector's pauses of this thread, both since the previous 'stalls' reading.
const loopDelay = monitorEventLoopDelay({ resolution: 1 })
loopDelay.enable()
let gcPauses: number[] = []
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push(entry.duration)
}).observe({ entryTypes: ['gc'] })

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'start') {
    startApi(loadConfig(message.env)).then(
      (running) => {
        api = running
        process.send?.({ kind: 'listening', url: running.url })
      },
      (error: unknown) => {
        process.send?.({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
        process.exit(1)
      },
    )
  } else if (message.kind === 'metrics') {
    // The relay's own histograms (select, send, commit -> ack): where the 201 -> Kafka time goes.
    void (api?.metrics.getMetricsAsJSON() ?? Promise.resolve([])).then((metrics) =>
      process.send?.({ kind: 'metrics', metrics }),
    )
  } else if (message.kind === 'stalls') {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100
    const pauses = gcPauses
    gcPauses = []
    process.send?.({
      kind: 'stalls',
      loopDelayP50Ms: ms(loopDelay.percentile(50)),
      loopDelayP99Ms: ms(loopDelay.percentile(99)),
      loopDelayMaxMs: ms(loopDelay.max),
      gcPauses: pauses.length,
      gcPauseTotalMs: Math.round(pauses.reduce((sum, pause) => sum + pause, 0)),
      gcPauseMaxMs: Math.round(Math.max(0, ...pauses) * 10) / 10,
    })
    loopDelay.reset()
  } else if (message.kind === 'cpu') {
    const usage = process.cpuUsage()
    process.send?.({ kind: 'cpu', ms: (usage.user + usage.system) / 1000 })
  } else {
    // Event-loop utilization since the previous reading: near 1 means the API's one thread is the limit.
    const now = performance.eventLoopUtilization()
    process.send?.({ kind: 'elu', utilization: performance.eventLoopUtilization(now, eluBefore).utilization })
    eluBefore = now
  }
})

async function stop(): Promise<never> {
  await api?.close().catch(() => {})
  process.exit(0)
}
// The parent went away (even by SIGKILL): an API alone has nothing to serve.
process.on('disconnect', () => void stop())
process.on('SIGTERM', () => void stop())
