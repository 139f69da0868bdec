// Benchmark 5: cold start. The time from an event for a scaled-to-zero function to its 2xx, through
// the local function host (the activator buffers the event while the process starts, as Knative's
// does), p50/p99 over 20 starts, for the fixture and each real function; and each process's RSS idle
// (after its first event) and loaded (peak during a burst).
import type { Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { startNoopSink } from '../src/harness/noop-sink.ts'
import { megabytes, percentile } from '../src/harness/stats.ts'
import { benchFunctions, postEvent, startBenchHost, taskCreatedRequest } from './bench-functions.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

const benchmark: Benchmark = {
  name: 'cold-start',
  order: 5,
  title: 'Cold start: scaled-to-zero function to its 2xx',
  needs: ['postgres'],
  async run(context): Promise<BenchReport> {
    const starts = context.size(20, 3)
    const burst = context.size(2_000, 200)
    const burstConcurrency = 20
    const sink = await startNoopSink()
    context.defer(() => sink.close())
    const rows: (string | number)[][] = []
    const figures: Record<string, number> = {}
    const bars: { label: string; value: number }[] = []

    for (const fn of benchFunctions) {
      // Scale to zero as soon as a process is idle: a 1 s stable window, no grace period, a fast tick.
      const host = await startBenchHost(context, fn, {
        sinkUrl: sink.url,
        overrides: { scale: { min: 0, max: 1 }, stableWindowMs: 1_000, gracePeriodMs: 0, tickMs: 200 },
      })
      const bar = context.progress(`cold starts ${fn.name}`, starts)
      const times: number[] = []
      let idleRss = 0
      for (let i = 0; i < starts; i++) {
        await until(() => host.processes().length === 0, 30_000, `${fn.name} to scale to zero`)
        const { status, ms } = await postEvent(host.url)
        if (status < 200 || status > 299) throw new Error(`${fn.name} answered ${status} to a cold event`)
        times.push(ms)
        if (i === 0) {
          await sleep(500)
          idleRss = host.processes()[0]?.rssBytes ?? 0
        }
        bar.update(i + 1)
      }
      bar.finish()

      // Loaded: one process kept up (the burst arrives while it is warm) under 20 events in flight.
      await until(() => host.processes().length === 0, 30_000, `${fn.name} to scale to zero`)
      await postEvent(host.url)
      let loadedRss = 0
      const sampler = setInterval(() => {
        loadedRss = Math.max(loadedRss, host.processes()[0]?.rssBytes ?? 0)
      }, 50)
      const loadBar = context.progress(`burst ${fn.name}`, burst)
      let sent = 0
      let failed = 0
      await Promise.all(
        Array.from({ length: burstConcurrency }, async () => {
          while (sent < burst) {
            sent++
            const { status } = await postEvent(host.url, taskCreatedRequest())
            if (status < 200 || status > 299) failed++
            loadBar.increment()
          }
        }),
      )
      clearInterval(sampler)
      loadBar.finish()
      if (failed > 0) throw new Error(`${fn.name}: ${failed} of ${burst} burst events failed`)
      await host.stop()

      const p50 = percentile(times, 50)
      const p99 = percentile(times, 99)
      rows.push([
        fn.name,
        starts,
        Math.round(p50),
        Math.round(p99),
        Math.round(Math.min(...times)),
        megabytes(idleRss),
        megabytes(loadedRss),
      ])
      figures[`${fn.name}.p50Ms`] = Math.round(p50)
      figures[`${fn.name}.p99Ms`] = Math.round(p99)
      figures[`${fn.name}.idleRssMB`] = megabytes(idleRss)
      figures[`${fn.name}.loadedRssMB`] = megabytes(loadedRss)
      bars.push(
        { label: `${fn.name} p50`, value: Math.round(p50) },
        { label: `${fn.name} p99`, value: Math.round(p99) },
      )
    }
    return {
      tables: [
        {
          title: 'Cold start (event to 2xx, through the function host) and RSS per process',
          columns: ['function', 'starts', 'p50 ms', 'p99 ms', 'min ms', 'idle RSS MB', 'loaded RSS MB'],
          rows,
        },
      ],
      figures,
      headline: benchFunctions.map((fn) => `${fn.name} p50 ${figures[`${fn.name}.p50Ms`]} ms`),
      charts: [{ kind: 'bar', title: 'Cold start: event to 2xx', unit: 'ms', bars }],
      notes: [
        'Each start: the host is at zero processes, one task.created event (binary mode) is POSTed to the activator URL, ' +
          'which holds it while `node` starts faas-js-runtime with the built function (real functions also connect to their PostgreSQL database of the run and apply their migrations on the first start); ' +
          'the time is measured by the client up to the 2xx. Idle RSS: 0.5 s after the first event. ' +
          `Loaded RSS: the peak during ${burst.toLocaleString('en-US')} events with ${burstConcurrency} in flight to one process.`,
      ],
    }
  },
}

export default benchmark
