// Benchmark 2: the local KafkaSource dispatcher delivering to a no-op sink, unordered and ordered, on
// 12 partitions, against the consume -> POST baseline of the same run (goal >= 0.8) and Knative's
// dispatcher measured on this machine kind; also on the embedded event log (PostgreSQL, PGlite).
import { pino } from 'pino'
import { openDatabase } from '../../db/src/index.ts'
import { createEmbeddedEventLog, createKafkaEventLog, type EventLog } from '../../local/src/eventlog/index.ts'
import { baselineRecords } from '../baseline/benchmark.ts'
import {
  kafkajsNodeHttpEventsPerSecond,
  knativeDispatcherEventsPerSecond,
  knativeDispatcherPeakRssMb,
} from '../baseline/knative-figures.ts'
import { filledTopic, type Measurement, measureConsumePost } from '../baseline/measure.ts'
import type { BenchContext, Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { startNoopSink } from '../src/harness/noop-sink.ts'
import { benchRecordBatches } from '../src/harness/records.ts'
import { ratio } from '../src/harness/stats.ts'
import { measureDispatcher, measureDispatcherProcess } from './measure-dispatcher.ts'

const partitions = 12
const goal = 0.8
/** Issue 18: a dispatcher per source stays cheap when many run side by side. */
const peakRssGoalMb = 200
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const orderings = ['unordered', 'ordered'] as const
const silent = pino({ level: 'silent' })

const cpuPer100k = (cpuMs: number | undefined, events: number) =>
  cpuMs === undefined ? '' : Math.round((cpuMs / events) * 100_000) / 1000

/** An embedded event log on a database of the run, holding `records` bench records in one topic. */
async function filledEmbeddedLog(
  context: BenchContext,
  backend: 'postgres' | 'pglite',
  records: number,
): Promise<{ log: EventLog; topic: string }> {
  const url = backend === 'postgres' ? (await context.database('dispatch')).url : undefined
  const database = await openDatabase({
    ...(url === undefined ? { pglite: { dataDir: 'memory://' } } : { url }),
    applicationName: 'taskflow-bench-eventlog',
    poolMax: 8,
  })
  context.defer(() => database.close())
  const log = await createEmbeddedEventLog({ db: database.db, logger: silent, pollIntervalMs: 20 })
  context.defer(() => log.close())
  const topic = `bench-${backend}`
  await log.ensureTopic(topic, partitions)
  const producer = await log.producer()
  const bar = context.progress(`append ${backend}`, records)
  let sent = 0
  for (const batch of benchRecordBatches(records, 500)) {
    await producer.send(topic, batch)
    sent += batch.length
    bar.update(sent)
  }
  bar.finish()
  await producer.close()
  return { log, topic }
}

const benchmark: Benchmark = {
  name: 'dispatch',
  order: 2,
  title: 'Dispatch: the local KafkaSource to a no-op sink',
  needs: ['kafka', 'postgres'],
  async run(context): Promise<BenchReport> {
    const records = baselineRecords(context)
    const embeddedRecords = context.size(20_000, 2_000)
    const sink = await startNoopSink()
    context.defer(() => sink.close())
    const filled = await filledTopic(context, partitions, records)
    const brokers = await context.kafkaBrokers()
    const kafkaLog = createKafkaEventLog({ brokers, clientId: 'taskflow-bench-dispatch', logger: silent })
    context.defer(() => kafkaLog.close())

    const rows: (string | number)[][] = []
    const figures: Record<string, number> = {}
    const bars: { label: string; value: number }[] = []
    const baselines: Partial<Record<(typeof orderings)[number], Measurement>> = {}
    for (const ordering of orderings) {
      const baseline = await measureConsumePost(context, filled, sink, ordering)
      baselines[ordering] = baseline
      const measured = await measureDispatcherProcess(context, {
        brokers,
        topic: filled.topic,
        records,
        sink,
        ordering,
        label: `dispatch ${ordering} kafka`,
      })
      figures[`kafka.${ordering}.peakRssMb`] = mb(measured.peakRssBytes)
      const vsBaseline = ratio(measured.eventsPerSecond, baseline.eventsPerSecond)
      figures[`kafka.${ordering}.eventsPerSecond`] = Math.round(measured.eventsPerSecond)
      figures[`kafka.${ordering}.baselineEventsPerSecond`] = Math.round(baseline.eventsPerSecond)
      figures[`kafka.${ordering}.ratioToBaseline`] = vsBaseline
      figures[`kafka.${ordering}.ratioToKnative`] = ratio(
        measured.eventsPerSecond,
        knativeDispatcherEventsPerSecond[ordering],
      )
      figures[`kafka.${ordering}.cpuMsPer100k`] = Math.round((measured.cpuMs / records) * 100_000)
      rows.push(
        row(`baseline consume -> POST ${ordering}`, 'kafka', baseline, baseline, ordering),
        row(
          `dispatcher ${ordering} (own process)`,
          'kafka',
          measured,
          baseline,
          ordering,
          measured.peakRssBytes,
        ),
      )
      bars.push(
        { label: `baseline ${ordering}`, value: Math.round(baseline.eventsPerSecond) },
        { label: `dispatcher ${ordering}`, value: Math.round(measured.eventsPerSecond) },
        { label: `Knative ${ordering}`, value: knativeDispatcherEventsPerSecond[ordering] },
      )
    }

    // A backlog as the system's producers write it (kafkajs gzips batches from 64 KiB): fetch sizes count
    // compressed bytes, so one fetch decodes many more records than from a plain topic.
    const gzipped = await filledTopic(context, partitions, records, 'gzip')
    for (const ordering of orderings) {
      const measured = await measureDispatcherProcess(context, {
        brokers,
        topic: gzipped.topic,
        records,
        sink,
        ordering,
        label: `dispatch ${ordering} kafka gzip`,
      })
      figures[`kafkaGzip.${ordering}.peakRssMb`] = mb(measured.peakRssBytes)
      figures[`kafkaGzip.${ordering}.eventsPerSecond`] = Math.round(measured.eventsPerSecond)
      rows.push(
        row(
          `dispatcher ${ordering} (own process), gzipped batches`,
          'kafka',
          measured,
          baselines[ordering]!,
          ordering,
          measured.peakRssBytes,
        ),
      )
    }

    for (const backend of ['postgres', 'pglite'] as const) {
      const { log, topic } = await filledEmbeddedLog(context, backend, embeddedRecords)
      for (const ordering of orderings) {
        const measured = await measureDispatcher(context, {
          log,
          topic,
          records: embeddedRecords,
          sink,
          ordering,
          label: `dispatch ${ordering} ${backend}`,
        })
        figures[`${backend}.${ordering}.eventsPerSecond`] = Math.round(measured.eventsPerSecond)
        rows.push(
          row(`dispatcher ${ordering}`, `embedded ${backend}`, measured, baselines[ordering]!, ordering),
        )
        bars.push({ label: `${backend} ${ordering}`, value: Math.round(measured.eventsPerSecond) })
      }
    }

    const verdicts = orderings.map((ordering) => {
      const value = figures[`kafka.${ordering}.ratioToBaseline`]!
      return `${ordering}: ${value} of the baseline (${value >= goal ? 'meets' : 'below'} the ${goal} goal)`
    })
    return {
      tables: [
        {
          title: `Dispatch, ${partitions} partitions (${records.toLocaleString('en-US')} records on Kafka, ${embeddedRecords.toLocaleString('en-US')} on the embedded logs)`,
          columns: [
            'measurement',
            'event log',
            'events/s',
            'CPU s / 100k',
            'sink CPU s / 100k',
            'x baseline',
            'x Knative dispatcher',
            'x kafkajs+node:http (ref)',
            'peak RSS MB',
          ],
          rows,
        },
      ],
      figures,
      headline: [
        `unordered ${figures['kafka.unordered.eventsPerSecond']}/s (x${figures['kafka.unordered.ratioToBaseline']} baseline, x${figures['kafka.unordered.ratioToKnative']} Knative)`,
        `ordered ${figures['kafka.ordered.eventsPerSecond']}/s (x${figures['kafka.ordered.ratioToBaseline']} baseline, x${figures['kafka.ordered.ratioToKnative']} Knative)`,
        `peak RSS ${figures['kafka.unordered.peakRssMb']} MB unordered, ${figures['kafka.ordered.peakRssMb']} MB ordered (gzipped: ${figures['kafkaGzip.unordered.peakRssMb']}, ${figures['kafkaGzip.ordered.peakRssMb']} MB)`,
      ],
      charts: [{ kind: 'bar', title: 'Dispatch: events per second', unit: 'events/s', bars }],
      notes: [
        `Goal: the dispatcher delivers at least ${goal} of the consume -> POST baseline of the same run. ${verdicts.join('; ')}.`,
        `Memory (issue 18): the Kafka rows run the dispatcher alone in a process of its own, as one per source would run; peak RSS is the kernel's high-water mark of that process (goal < ${peakRssGoalMb} MB; Knative's Java dispatcher peaked at ${knativeDispatcherPeakRssMb.low}-${knativeDispatcherPeakRssMb.high} MB delivering the same 200,000 records on this machine kind): ` +
          `${figures['kafka.unordered.peakRssMb']} MB unordered, ${figures['kafka.ordered.peakRssMb']} MB ordered; from gzipped batches ${figures['kafkaGzip.unordered.peakRssMb']} MB and ${figures['kafkaGzip.ordered.peakRssMb']} MB.`,
        'The dispatcher runs `startKafkaSource` (local/src/eventing) with 100 in flight (unordered; Knative ships 50) or one per partition (ordered), ' +
          "Knative's default delivery policy, a fresh group from the earliest offset, in a process of its own on Kafka (in the bench process on the embedded logs); the sink is a Node `http` server in its own process answering 202. " +
          'Embedded rows: the same dispatcher on the SQL event log (a database of the run on the machine PostgreSQL, and in-memory PGlite served in the bench process), for reference.',
      ],
    }
  },
}

function row(
  what: string,
  log: string,
  measured: Measurement,
  baseline: Measurement,
  ordering: (typeof orderings)[number],
  peakRssBytes?: number,
): (string | number)[] {
  return [
    what,
    log,
    Math.round(measured.eventsPerSecond),
    cpuPer100k(measured.cpuMs, measured.events),
    cpuPer100k(measured.sinkCpuMs, measured.events),
    ratio(measured.eventsPerSecond, baseline.eventsPerSecond),
    ratio(measured.eventsPerSecond, knativeDispatcherEventsPerSecond[ordering]),
    ratio(measured.eventsPerSecond, kafkajsNodeHttpEventsPerSecond[ordering]),
    peakRssBytes === undefined ? '' : mb(peakRssBytes),
  ]
}

export default benchmark
