// One backend (PGlite, or PostgreSQL with the relay on its worker thread or inline) of the API
// benchmark: the Task API in its own process with the outbox relay publishing to a bench topic on the
// run's Kafka, loaded by a client in a process of its own (load-process.ts). A closed loop for the most
// it serves; then two open loops at a fixed rate. The first runs only what the goals name (the API,
// PostgreSQL, the broker and the client): the records' append times are read from the topic after it.
// The second adds the downstream: a consumer watching the topic and a local KafkaSource delivering to a
// sink that notes arrivals, for POST -> function.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { apiNodeFlags } from '../../api/src/node-flags.ts'
import { startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import { createKafkaEventLog } from '../../local/src/eventlog/index.ts'
import { knativeDefaultDeliveryPolicy } from '../../platform/src/knative-delivery.ts'
import { busyPercent, readCpuTimes } from '../scaling/machine-cpu.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'
import { type HostReclaimActivity, overlapsActivity, watchHostReclaim } from '../src/harness/host-reclaim.ts'
import { createBenchTopic } from '../src/harness/services.ts'
import { perSecond } from '../src/harness/stats.ts'
import { flushDirtyPages, type WritebackFlush } from '../src/harness/writeback.ts'
import { type ApiProcess, type ApiStalls, startApiProcess } from './api-server.ts'
import { startArrivalSink } from './arrival-sink.ts'
import { watchKafkaArrivals } from './kafka-arrivals.ts'
import { type LatencySummary, summarize } from './latency.ts'
import {
  publishedEvents,
  type RelayBreakdown,
  relayBreakdown,
  serverRequestQuantiles,
} from './relay-breakdown.ts'
import type { TaskRequestResult } from './task-load.ts'
import { type LoadBody, startTaskLoadProcess, type TaskLoadProcess } from './task-load-process.ts'

/**
 * `postgres`: as deployed, the relay on a worker thread of its own; `postgresInline`: the same with
 * OUTBOX_RELAY_THREAD=inline, the relay on the API's event loop (the baseline the thread is judged by).
 */
export type ApiBackend = 'pglite' | 'postgres' | 'postgresInline'

export interface ClosedLoopFigures {
  readonly concurrency: number
  readonly requests: number
  readonly failed: number
  readonly requestsPerSecond: number
  readonly latency: LatencySummary
  readonly apiCpuPercent: number
  readonly apiEventLoopUtilization: number
  readonly machineCpuPercent: number
  /** Events the relay got acknowledged per second during the loop: whether it kept up with the 201s. */
  readonly publishedPerSecond: number
  /** Rows still unpublished when the loop ended (a relay that fell behind defers work past the loop). */
  readonly backlogAtEnd: number
}

/** The open loop with only what the goals name running: the API, PostgreSQL, the broker, the client. */
export interface OpenLoopFigures {
  readonly ratePerSecond: number
  readonly measured: number
  readonly failed: number
  readonly achievedPerSecond: number
  /** Scheduled send -> response read. */
  readonly request: LatencySummary
  /** Response read -> the broker appended the record (its LogAppendTime timestamp). */
  readonly toAppend: LatencySummary
  readonly missingOnKafka: number
  readonly machineCpuPercent: number
  /** Dirty pages of the earlier phases written to disk before the loop (bench/src/harness/writeback.ts). */
  readonly flushedBefore: WritebackFlush
  /** The relay's rounds during the open loop, from the API's outbox_* histograms. */
  readonly relay: RelayBreakdown
  /** The API thread's event-loop delay and GC pauses during the open loop. */
  readonly stalls: ApiStalls
  /** The API's own request duration (its histogram's buckets) during the open loop. */
  readonly server: { p50Ms: number; p99Ms: number }
  /** The request latencies split by whether the host's memory-reclaim threads ran meanwhile. */
  readonly reclaim: ReclaimSplit
}

/** bench/src/harness/host-reclaim.ts during an open loop, and the requests it overlapped. */
export interface ReclaimSplit {
  readonly threads: number
  /** Times a reclaim thread ran (consecutive readings merged) during the loop. */
  readonly scans: number
  readonly cpuMs: number
  /** Requests in flight while one ran (from the scheduled send to the response read). */
  readonly overlapping: LatencySummary
  /** Their share of the loop's requests, in %. */
  readonly overlappingPercent: number
  readonly rest: LatencySummary
}

/** The same open loop with the downstream running: a watching consumer and a KafkaSource with its sink. */
export interface DeliveredLoopFigures
  extends Omit<OpenLoopFigures, 'relay' | 'stalls' | 'server' | 'reclaim'> {
  /** Response read -> record visible to a consumer of the topic. */
  readonly toKafka: LatencySummary
  /** Scheduled send -> the KafkaSource's request arrived at the sink. */
  readonly endToEnd: LatencySummary
  readonly missingAtSink: number
}

export interface BackendFigures {
  readonly backend: ApiBackend
  readonly closed: ClosedLoopFigures
  readonly open: OpenLoopFigures
  readonly delivered: DeliveredLoopFigures
}

export const closedLoopConcurrency = 64
export const openLoopRate = 1000
const partitions = 12
const silent = pino({ level: 'silent' })

const taskBody: LoadBody = { titlePrefix: 'bench task', fields: { assignee: 'bob', tags: ['bench'] } }
const openLoopMs = (context: BenchContext) => context.size(20_000, 4_000)
/** Requests due in the first this many ms of an open loop are sent but not counted. */
const openWarmupMs = (context: BenchContext) => context.size(2_000, 500)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function measureBackend(
  context: BenchContext,
  backend: ApiBackend,
  options: { apiExecArgv?: readonly string[] } = {},
): Promise<BackendFigures> {
  const brokers = await context.kafkaBrokers()
  // The broker stamps each record as it appends it: the "on Kafka" instant of the 201 -> Kafka span.
  const topic = await createBenchTopic(brokers, `api-${backend}`, partitions, context, {
    'message.timestamp.type': 'LogAppendTime',
  })
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'error',
    KAFKA_BROKERS: brokers.join(','),
    TASK_EVENTS_TOPIC: topic,
  }
  if (backend === 'postgres' || backend === 'postgresInline') {
    env.DATABASE_URL = (await context.database(`api_${backend.toLowerCase()}`)).url
    env.OUTBOX_RELAY_THREAD = backend === 'postgres' ? 'worker' : 'inline'
  } else {
    // On disk, as `npm run api:start` runs it (in-memory PGlite would flatter it).
    const dataDir = await mkdtemp(join(tmpdir(), 'taskflow-bench-api-'))
    context.defer(() => rm(dataDir, { recursive: true, force: true }))
    env.PGLITE_DATA_DIR = dataDir
  }
  // Started as the image starts it (api/src/node-flags.ts), plus what the caller adds (e.g. a profiler).
  const api = await startApiProcess(env, { execArgv: [...apiNodeFlags, ...(options.apiExecArgv ?? [])] })
  context.defer(() => api.close())
  const load: StartLoad = (loop) => {
    const started = startTaskLoadProcess({ url: api.url, body: taskBody, ...loop })
    context.defer(() => started.close())
    return started
  }

  // Warm-up: JIT, pool connections, the relay's producer.
  await load({ concurrency: 16, durationMs: context.size(3_000, 1_000) }).done

  const closedMs = context.size(15_000, 3_000)
  const closedBar = context.progress(`${backend} closed loop x${closedLoopConcurrency}`, closedMs / 1000)
  const ticker = setInterval(() => closedBar.increment(), 1000)
  const cpuBefore = await api.cpuMs()
  const machineBefore = readCpuTimes()
  await api.eventLoopUtilization()
  const publishedBefore = publishedEvents(await api.metrics())
  const closed = await load({
    concurrency: closedLoopConcurrency,
    durationMs: closedMs,
    firstIndex: 1_000_000,
    withResults: true,
  }).done.finally(() => clearInterval(ticker))
  const closedRun = closed.run!
  closedBar.finish()
  const closedElapsed = closedRun.endedAt - closedRun.startedAt
  const published = publishedEvents(await api.metrics()) - publishedBefore
  const readiness = (await (await fetch(new URL('/readyz', api.url))).json()) as {
    outbox?: { backlog?: number }
  }
  const apiElu = await api.eventLoopUtilization()
  const apiCpu = (await api.cpuMs()) - cpuBefore
  const machineClosed = busyPercent(machineBefore, readCpuTimes())
  const ok = closedRun.results.filter((result) => result.status === 201)
  const closedFigures: ClosedLoopFigures = {
    concurrency: closedLoopConcurrency,
    requests: ok.length,
    failed: closedRun.results.length - ok.length,
    requestsPerSecond: perSecond(ok.length, closedElapsed),
    latency: summarize(ok.map((result) => result.answeredAt - result.scheduledAt)),
    apiCpuPercent: Math.round((apiCpu / closedElapsed) * 100),
    apiEventLoopUtilization: Math.round(apiElu * 100) / 100,
    machineCpuPercent: machineClosed,
    publishedPerSecond: perSecond(published, closedElapsed),
    backlogAtEnd: readiness.outbox?.backlog ?? Number.NaN,
  }

  // Let the relay drain what the closed loop left in the outbox before the open loops start.
  await sleep(2_000)
  const open = await measureOpenLoop(context, backend, api, load, brokers, topic)
  await sleep(1_000)
  const delivered = await measureDeliveredLoop(context, backend, load, brokers, topic)
  await api.close()
  return { backend, closed: closedFigures, open, delivered }
}

/** Starts a load process against this backend's API with the bench body (closed or open loop). */
type StartLoad = (loop: Omit<Parameters<typeof startTaskLoadProcess>[0], 'url' | 'body'>) => TaskLoadProcess

/** An open loop's requests counted (the first openWarmupMs left out), its 201s, and the machine's CPU. */
interface OpenLoopRun {
  readonly counted: TaskRequestResult[]
  readonly ok: TaskRequestResult[]
  readonly achievedPerSecond: number
  readonly machineCpuPercent: number
  /** The earlier phases' dirty pages, written to disk before the loop started. */
  readonly flushedBefore: WritebackFlush
  /** When the host's memory-reclaim threads ran during the loop. */
  readonly reclaim: HostReclaimActivity
}

async function runOpenLoop(
  context: BenchContext,
  label: string,
  load: StartLoad,
  firstIndex: number,
): Promise<OpenLoopRun> {
  const durationMs = openLoopMs(context)
  const flushedBefore = await flushDirtyPages()
  const bar = context.progress(label, durationMs / 1000)
  const ticker = setInterval(() => bar.increment(), 1000)
  const machineBefore = readCpuTimes()
  const reclaimWatch = watchHostReclaim()
  const done = await load({
    ratePerSecond: openLoopRate,
    durationMs,
    concurrency: 256,
    firstIndex,
    withResults: true,
  }).done.finally(() => clearInterval(ticker))
  const reclaim = reclaimWatch.stop()
  const machineCpuPercent = busyPercent(machineBefore, readCpuTimes())
  bar.finish()
  const run = done.run!
  const counted = run.results.filter((result) => result.scheduledAt >= run.startedAt + openWarmupMs(context))
  return {
    counted,
    ok: counted.filter((result) => result.status === 201 && result.taskId !== undefined),
    achievedPerSecond: perSecond(run.results.length, run.endedAt - run.startedAt),
    machineCpuPercent,
    flushedBefore,
    reclaim,
  }
}

function reclaimSplit(run: OpenLoopRun): ReclaimSplit {
  const overlapping: number[] = []
  const rest: number[] = []
  for (const { scheduledAt, answeredAt } of run.ok) {
    const latency = answeredAt - scheduledAt
    if (overlapsActivity(scheduledAt, answeredAt, run.reclaim.windows)) overlapping.push(latency)
    else rest.push(latency)
  }
  return {
    threads: run.reclaim.threads.length,
    scans: run.reclaim.windows.length,
    cpuMs: run.reclaim.cpuMs,
    overlapping: summarize(overlapping),
    overlappingPercent:
      run.ok.length === 0 ? 0 : Math.round((overlapping.length / run.ok.length) * 1000) / 10,
    rest: summarize(rest),
  }
}

/** Waits (up to `ms`) until `done()` holds, checking every 200 ms after `poll()` if given. */
async function waitFor(ms: number, done: () => boolean, poll?: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    await poll?.()
    if (done() || Date.now() > until) return
    await sleep(200)
  }
}

async function measureOpenLoop(
  context: BenchContext,
  backend: ApiBackend,
  api: ApiProcess,
  load: StartLoad,
  brokers: string[],
  topic: string,
): Promise<OpenLoopFigures> {
  const metricsBefore = await api.metrics()
  await api.stalls()
  const run = await runOpenLoop(context, `${backend} open loop ${openLoopRate}/s`, load, 2_000_000)
  const stalls = await api.stalls()
  // Read after the loop, from the start of the topic: no consumer competed with the API meanwhile.
  const reader = await watchKafkaArrivals(brokers, topic, { fromBeginning: true })
  context.defer(() => reader.stop())
  await waitFor(30_000, () => run.ok.every((result) => reader.appended.has(result.taskId!)))
  const metricsAfter = await api.metrics()
  const relay = relayBreakdown(metricsBefore, metricsAfter)
  const server = serverRequestQuantiles(metricsBefore, metricsAfter)
  await reader.stop()
  const toAppend = spans(run.ok, reader.appended, 'answeredAt')
  return {
    ...loopFigures(run, toAppend),
    missingOnKafka: run.ok.length - toAppend.length,
    relay,
    stalls,
    server,
    reclaim: reclaimSplit(run),
  }
}

async function measureDeliveredLoop(
  context: BenchContext,
  backend: ApiBackend,
  load: StartLoad,
  brokers: string[],
  topic: string,
): Promise<DeliveredLoopFigures> {
  const watcher = await watchKafkaArrivals(brokers, topic)
  context.defer(() => watcher.stop())
  const sink = await startArrivalSink()
  context.defer(() => sink.close())
  const log = createKafkaEventLog({ brokers, clientId: 'taskflow-bench-api-source', logger: silent })
  context.defer(() => log.close())
  // As audit-log and reminders are: ordered, Knative's default delivery, new group from the end.
  const dispatcher = await startKafkaSource({
    spec: {
      name: 'bench-api',
      namespace: 'bench',
      topics: [topic],
      consumerGroup: `bench-api-${randomUUID()}`,
      initialOffset: 'latest',
      ordering: 'ordered',
      delivery: knativeDefaultDeliveryPolicy,
      sink: sink.url,
      deadLetterSink: null,
    },
    log,
    logger: silent,
  })
  context.defer(() => dispatcher.stop())
  const joinDeadline = Date.now() + 30_000
  while (dispatcher.consumer().assignment().length === 0) {
    if (Date.now() > joinDeadline) throw new Error('the bench KafkaSource did not join its group in 30 s')
    await sleep(10)
  }
  // Both consumers resolve "latest" on their first fetch: give it time before the first counted record.
  await sleep(1_000)
  await sink.takeArrivals()

  const run = await runOpenLoop(
    context,
    `${backend} open loop ${openLoopRate}/s + KafkaSource`,
    load,
    3_000_000,
  )
  const arrivalsAtSink = new Map<string, number>()
  await waitFor(
    15_000,
    () =>
      run.ok.every((result) => watcher.arrivals.has(result.taskId!) && arrivalsAtSink.has(result.taskId!)),
    async () => {
      for (const [subject, at] of await sink.takeArrivals()) arrivalsAtSink.set(subject, at)
    },
  )
  await dispatcher.stop()
  await watcher.stop()

  const toKafka = spans(run.ok, watcher.arrivals, 'answeredAt')
  const endToEnd = spans(run.ok, arrivalsAtSink, 'scheduledAt')
  return {
    ...loopFigures(run, spans(run.ok, watcher.appended, 'answeredAt')),
    toKafka: summarize(toKafka),
    endToEnd: summarize(endToEnd),
    missingOnKafka: run.ok.length - toKafka.length,
    missingAtSink: run.ok.length - endToEnd.length,
  }
}

/** What every open loop reports: its counts, request latency and 201 -> appended span. */
function loopFigures(run: OpenLoopRun, toAppend: number[]) {
  return {
    ratePerSecond: openLoopRate,
    measured: run.ok.length,
    failed: run.counted.length - run.ok.length,
    achievedPerSecond: run.achievedPerSecond,
    request: summarize(run.ok.map((result) => result.answeredAt - result.scheduledAt)),
    toAppend: summarize(toAppend),
    machineCpuPercent: run.machineCpuPercent,
    flushedBefore: run.flushedBefore,
  }
}

/** Per 201 whose task `at` has an instant for (by task id): that instant minus the request's `from`. */
function spans(
  results: readonly TaskRequestResult[],
  at: ReadonlyMap<string, number>,
  from: 'answeredAt' | 'scheduledAt',
): number[] {
  const samples: number[] = []
  for (const result of results) {
    const instant = at.get(result.taskId!)
    if (instant !== undefined) samples.push(instant - result[from])
  }
  return samples
}
