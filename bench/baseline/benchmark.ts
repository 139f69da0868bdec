// Benchmark 1: the limit of this machine. kafkajs produce and consume throughput through kafka/, and
// consume -> HTTP POST to a no-op sink (undici Pool, keep-alive), for 6 and 12 partitions.
import type { BenchContext, Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { startNoopSink } from '../src/harness/noop-sink.ts'
import { ratio } from '../src/harness/stats.ts'
import { kafkajsNodeHttpEventsPerSecond, knativeDispatcherEventsPerSecond } from './knative-figures.ts'
import { filledTopic, type Measurement, measureConsumePost, measureRawConsume } from './measure.ts'

export const baselineRecords = (context: BenchContext) => context.size(200_000, 20_000)
export const baselinePartitions = [6, 12] as const

const cpuPer100k = (cpuMs: number | undefined, events: number) =>
  cpuMs === undefined ? '' : Math.round((cpuMs / events) * 100_000) / 1000

const benchmark: Benchmark = {
  name: 'baseline',
  order: 1,
  title: 'Baselines: kafkajs produce, consume and consume -> POST',
  needs: ['kafka'],
  async run(context): Promise<BenchReport> {
    const records = baselineRecords(context)
    const sink = await startNoopSink()
    context.defer(() => sink.close())
    const rows: (string | number)[][] = []
    const figures: Record<string, number> = {}
    const bars: { label: string; value: number }[] = []
    const add = (
      what: string,
      partitions: number,
      measured: Measurement,
      key: string,
      knative?: number,
      kafkajs?: number,
    ) => {
      rows.push([
        what,
        partitions,
        measured.events,
        Math.round(measured.elapsedMs) / 1000,
        Math.round(measured.eventsPerSecond),
        cpuPer100k(measured.cpuMs, measured.events),
        cpuPer100k(measured.sinkCpuMs, measured.events),
        knative === undefined ? '' : ratio(measured.eventsPerSecond, knative),
        kafkajs === undefined ? '' : ratio(measured.eventsPerSecond, kafkajs),
      ])
      figures[`${key}.p${partitions}.eventsPerSecond`] = Math.round(measured.eventsPerSecond)
      figures[`${key}.p${partitions}.cpuMs`] = Math.round(measured.cpuMs)
      bars.push({ label: `${what} ${partitions}p`, value: Math.round(measured.eventsPerSecond) })
    }
    for (const partitions of baselinePartitions) {
      const filled = await filledTopic(context, partitions, records)
      add('produce (acks=-1)', partitions, filled.produce, 'produce')
      add('consume', partitions, await measureRawConsume(context, filled), 'consume')
      for (const ordering of ['unordered', 'ordered'] as const) {
        add(
          `consume -> POST ${ordering}`,
          partitions,
          await measureConsumePost(context, filled, sink, ordering),
          `post.${ordering}`,
          knativeDispatcherEventsPerSecond[ordering],
          kafkajsNodeHttpEventsPerSecond[ordering],
        )
      }
    }
    return {
      tables: [
        {
          title: `Baselines (${records.toLocaleString('en-US')} records of 228-byte JSON, binary-mode CloudEvents)`,
          columns: [
            'measurement',
            'partitions',
            'events',
            'seconds',
            'events/s',
            'CPU s / 100k',
            'sink CPU s / 100k',
            'x Knative dispatcher',
            'x kafkajs+node:http (ref)',
          ],
          rows,
        },
      ],
      figures,
      headline: [
        `produce 6p ${figures['produce.p6.eventsPerSecond']}/s`,
        `consume 6p ${figures['consume.p6.eventsPerSecond']}/s`,
        `POST unordered 12p ${figures['post.unordered.p12.eventsPerSecond']}/s`,
        `POST ordered 12p ${figures['post.ordered.p12.eventsPerSecond']}/s`,
      ],
      charts: [{ kind: 'bar', title: 'Baselines: events per second', unit: 'events/s', bars }],
      notes: [
        'Produce: kafka/ `createProducer` (idempotent, acks=-1, uncompressed), batches of 2,000 sent one after another. ' +
          'Consume: a fresh group from the earliest offset; the clock runs from the group join (offset lookup and first fetch included, the join itself not) to the last record. ' +
          'POST: each record becomes a binary-mode HTTP request (`ce_` headers renamed, value as body, no parsing) to a Node `http` sink in its own process answering 202, ' +
          'with an undici Pool (keep-alive): 100 in flight over the consumer (unordered) or one per partition (ordered). ' +
          'Broker, client and sink share the machine. The Knative ratios compare with the figures measured on a machine of this kind ' +
          '(dispatcher: 13,300/s unordered, 250/s ordered; kafkajs + node:http: 10,900/s and 10,600/s; 6 partitions).',
      ],
    }
  },
}

export default benchmark
