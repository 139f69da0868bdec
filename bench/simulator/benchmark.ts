// Benchmark 7: cluster what-if. Replays Knative's KPA (local/src/serving/kpa.ts) for each function and
// KEDA's lag-threshold scaling of its KafkaSource for steady, burst and diurnal arrivals, with the
// annotations of sources/ and manifests/ and with the proposed ones (./src/proposal.ts). No service.
import { loadSystemManifests } from '../../sources/src/manifests.ts'
import type { Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import type { ChartSpec } from '../src/harness/chart.ts'
import { type ArrivalPattern, describeArrivals } from './src/arrivals.ts'
import { proposedKedaAnnotations } from './src/proposal.ts'
import { defaultAssumptions, scenarioForSource } from './src/scenarios.ts'
import { type SimulationResult, simulate, type TimelinePoint } from './src/simulate.ts'

const rootDir = new URL('../..', import.meta.url).pathname

// The seeds' bar is 10,000 events per minute (~167/s).
const patterns: { name: string; arrivals: ArrivalPattern; seconds: number; bucket: number }[] = [
  { name: 'steady', arrivals: { kind: 'steady', eventsPerSecond: 167 }, seconds: 1_800, bucket: 1 },
  {
    name: 'burst',
    arrivals: {
      kind: 'burst',
      baseEventsPerSecond: 2,
      burstEventsPerSecond: 1_000,
      startSeconds: 600,
      durationSeconds: 60,
    },
    seconds: 1_800,
    bucket: 1,
  },
  {
    name: 'diurnal',
    arrivals: { kind: 'diurnal', troughEventsPerSecond: 0, peakEventsPerSecond: 167, periodSeconds: 86_400 },
    seconds: 86_400,
    bucket: 60,
  },
]

/** At most `count` points: the highest value of each window, so peaks survive. */
function peaks(
  timeline: readonly TimelinePoint[],
  pick: (p: TimelinePoint) => number,
  from: number,
  to: number,
  count = 40,
) {
  const inRange = timeline.filter((p) => p.atSeconds >= from && p.atSeconds <= to)
  const size = Math.max(1, Math.ceil(inRange.length / count))
  const points: [number, number][] = []
  for (let i = 0; i < inRange.length; i += size) {
    const window = inRange.slice(i, i + size)
    points.push([window[0]!.atSeconds, Math.max(...window.map(pick))])
  }
  return points
}

const benchmark: Benchmark = {
  name: 'simulator',
  order: 7,
  title: 'Cluster what-if: KPA and KEDA replayed for the YAML annotations',
  needs: [],
  async run(context): Promise<BenchReport> {
    const manifests = loadSystemManifests(rootDir)
    const sources = manifests.kafkaSources.map((s) => s.name)
    const chosen = context.quick ? patterns.filter((p) => p.name !== 'diurnal') : patterns
    const rows: (string | number)[][] = []
    const figures: Record<string, number> = {}
    const charts: ChartSpec[] = []
    const progress = context.progress('simulations', sources.length * chosen.length * 2)
    for (const sourceName of sources) {
      for (const pattern of chosen) {
        const runs: Record<'yaml' | 'proposed', SimulationResult> = {
          yaml: simulate(
            scenarioForSource(manifests, sourceName, {
              arrivals: pattern.arrivals,
              durationSeconds: context.quick ? Math.min(pattern.seconds, 900) : pattern.seconds,
              timelineBucketSeconds: pattern.bucket,
            }),
          ),
          proposed: simulate(
            scenarioForSource(manifests, sourceName, {
              arrivals: pattern.arrivals,
              durationSeconds: context.quick ? Math.min(pattern.seconds, 900) : pattern.seconds,
              timelineBucketSeconds: pattern.bucket,
              kedaOverrides: proposedKedaAnnotations[sourceName],
            }),
          ),
        }
        progress.increment(2)
        for (const [variant, result] of Object.entries(runs)) {
          const s = result.summary
          const keda = result.scenario.source.keda
          rows.push([
            sourceName,
            `${pattern.name} (${describeArrivals(pattern.arrivals)})`,
            variant,
            `${keda.lagThreshold} / ${keda.pollingIntervalMs / 1000} s / ${keda.cooldownPeriodMs / 1000} s / ${keda.maxScale}`,
            s.p50LatencyMs,
            s.p99LatencyMs,
            s.maxLatencyMs,
            s.maxLag,
            s.maxConsumers,
            s.consumerStarts,
            Math.round(s.consumerSeconds / 60),
            s.maxPods,
            Math.round(s.podSeconds / 60),
            s.unfinished,
          ])
          const key = `${sourceName}.${pattern.name}.${variant}`
          figures[`${key}.p99LatencyMs`] = s.p99LatencyMs
          figures[`${key}.maxLatencyMs`] = s.maxLatencyMs
          figures[`${key}.maxLag`] = s.maxLag
          figures[`${key}.consumerStarts`] = s.consumerStarts
          figures[`${key}.maxConsumers`] = s.maxConsumers
          figures[`${key}.maxPods`] = s.maxPods
        }
        // Charts for the burst, the pattern where the annotations matter most (ordered vs unordered).
        if (pattern.name === 'burst' && sourceName !== 'reminders') {
          const [from, to] = [540, 780]
          const series = (pick: (p: TimelinePoint) => number, what: string) =>
            Object.entries(runs).map(([variant, r]) => ({
              name: `${what} ${variant}`,
              points: peaks(r.timeline, pick, from, to),
            }))
          charts.push(
            {
              kind: 'line',
              title: `${sourceName} burst: consumers and pods`,
              unit: 'replicas',
              xLabel: 'seconds',
              series: [...series((p) => p.consumers, 'consumers'), ...series((p) => p.pods, 'pods')],
            },
            {
              kind: 'line',
              title: `${sourceName} burst: consumer lag`,
              unit: 'records',
              xLabel: 'seconds',
              series: series((p) => p.lag, 'lag'),
            },
            {
              kind: 'line',
              title: `${sourceName} burst: p99 latency`,
              unit: 'ms',
              xLabel: 'seconds',
              series: series((p) => p.p99LatencyMs, 'p99'),
            },
          )
        }
      }
    }
    const a = defaultAssumptions
    progress.finish()
    return {
      tables: [
        {
          title: 'Simulated cluster per KafkaSource and its function: YAML annotations vs proposed',
          columns: [
            'source',
            'arrivals',
            'annotations',
            'lag-threshold / polling / cooldown / max-scale',
            'p50 ms',
            'p99 ms',
            'max ms',
            'max lag',
            'max consumers',
            'consumer starts',
            'consumer-min',
            'max pods',
            'pod-min',
            'unfinished',
          ],
          rows,
        },
      ],
      figures,
      headline: [
        `audit-log burst p99 ${figures['audit-log.burst.yaml.p99LatencyMs']} -> ${figures['audit-log.burst.proposed.p99LatencyMs']} ms`,
        `notification-fanout steady p99 ${figures['notification-fanout.steady.yaml.p99LatencyMs']} -> ${figures['notification-fanout.steady.proposed.p99LatencyMs']} ms`,
      ],
      charts,
      notes: [
        `Assumptions (not in the YAML): service time ${Object.entries(a.serviceTimeMs)
          .map(([name, ms]) => `${name} ${ms} ms`)
          .join(
            ', ',
          )}; pod cold start ${a.coldStartMs / 1000} s; Knative's dispatcher ${a.orderedConsumerEventsPerSecond} events/s per ordered consumer and ${a.unorderedConsumerEventsPerSecond} unordered (reference measurement); a new consumer joins after ${a.consumerStartMs / 1000} s and every membership change pauses the group ${a.rebalancePauseMs / 1000} s; HPA scale-down stabilization 300 s. Latency is from the record on the topic to the function done; percentiles cover the whole run, start from zero included.`,
      ],
    }
  },
}

export default benchmark
