// One backend (PGlite, or PostgreSQL with the relay on its worker thread or inline) of the API benchmark: the Task API in its own process with the
// outbox relay publishing to a bench topic on the run's Kafka; a closed loop for the most it serves,
// then an open loop at a fixed rate with the record watched on Kafka and delivered by a local
// KafkaSource to a sink that notes arrivals.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { knativeDefaultDeliveryPolicy } from '../../local/src/eventing/delivery-policy.ts'
import { startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import { createKafkaEventLog } from '../../local/src/eventlog/index.ts'
import { busyPercent, readCpuTimes } from '../scaling/machine-cpu.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'
import { createBenchTopic } from '../src/harness/services.ts'
import { perSecond } from '../src/harness/stats.ts'
import { type ApiProcess, startApiProcess } from './api-server.ts'
import { startArrivalSink } from './arrival-sink.ts'
import { watchKafkaArrivals } from './kafka-arrivals.ts'
import { type LatencySummary, summarize } from './latency.ts'
import { publishedEvents, type RelayBreakdown, relayBreakdown } from './relay-breakdown.ts'
import { closedLoop, openLoop, type TaskLoadTarget } from './task-load.ts'

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

export interface OpenLoopFigures {
  readonly ratePerSecond: number
  readonly measured: number
  readonly failed: number
  readonly achievedPerSecond: number
  /** Scheduled send -> response read. */
  readonly request: LatencySummary
  /** Response read -> the broker appended the record (its LogAppendTime timestamp). */
  readonly toAppend: LatencySummary
  /** Response read -> record visible to a consumer of the topic. */
  readonly toKafka: LatencySummary
  /** Scheduled send -> the KafkaSource's request arrived at the sink. */
  readonly endToEnd: LatencySummary
  readonly missingOnKafka: number
  readonly missingAtSink: number
  readonly machineCpuPercent: number
  /** The relay's rounds during the open loop, from the API's outbox_* histograms. */
  readonly relay: RelayBreakdown
}

export interface BackendFigures {
  readonly backend: ApiBackend
  readonly closed: ClosedLoopFigures
  readonly open: OpenLoopFigures
}

export const closedLoopConcurrency = 64
export const openLoopRate = 1000
const partitions = 12
const silent = pino({ level: 'silent' })

const taskBody = (index: number) => ({
  title: `bench task ${index}`,
  assignee: 'bob',
  tags: ['bench'],
})

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
  const api = await startApiProcess(env, { execArgv: options.apiExecArgv ?? [] })
  context.defer(() => api.close())
  const target: TaskLoadTarget = { url: api.url, body: taskBody, user: 'alice' }

  // Warm-up: JIT, pool connections, the relay's producer.
  await closedLoop(target, { concurrency: 16, durationMs: context.size(3_000, 1_000) })

  const closedMs = context.size(15_000, 3_000)
  const closedBar = context.progress(`${backend} closed loop x${closedLoopConcurrency}`, closedMs / 1000)
  const ticker = setInterval(() => closedBar.increment(), 1000)
  const cpuBefore = await api.cpuMs()
  const machineBefore = readCpuTimes()
  await api.eventLoopUtilization()
  const publishedBefore = publishedEvents(await api.metrics())
  const closed = await closedLoop(target, {
    concurrency: closedLoopConcurrency,
    durationMs: closedMs,
    firstIndex: 1_000_000,
  }).finally(() => clearInterval(ticker))
  closedBar.finish()
  const closedElapsed = closed.endedAt - closed.startedAt
  const published = publishedEvents(await api.metrics()) - publishedBefore
  const readiness = (await (await fetch(new URL('/readyz', api.url))).json()) as {
    outbox?: { backlog?: number }
  }
  const apiElu = await api.eventLoopUtilization()
  const apiCpu = (await api.cpuMs()) - cpuBefore
  const machineClosed = busyPercent(machineBefore, readCpuTimes())
  const ok = closed.results.filter((result) => result.status === 201)
  const closedFigures: ClosedLoopFigures = {
    concurrency: closedLoopConcurrency,
    requests: ok.length,
    failed: closed.results.length - ok.length,
    requestsPerSecond: perSecond(ok.length, closedElapsed),
    latency: summarize(ok.map((result) => result.answeredAt - result.scheduledAt)),
    apiCpuPercent: Math.round((apiCpu / closedElapsed) * 100),
    apiEventLoopUtilization: Math.round(apiElu * 100) / 100,
    machineCpuPercent: machineClosed,
    publishedPerSecond: perSecond(published, closedElapsed),
    backlogAtEnd: readiness.outbox?.backlog ?? Number.NaN,
  }

  // Let the relay drain what the closed loop left in the outbox before the open loop starts.
  await sleep(2_000)
  const open = await measureOpenLoop(context, backend, api, target, brokers, topic)
  await api.close()
  return { backend, closed: closedFigures, open }
}

async function measureOpenLoop(
  context: BenchContext,
  backend: ApiBackend,
  api: ApiProcess,
  target: TaskLoadTarget,
  brokers: string[],
  topic: string,
): Promise<OpenLoopFigures> {
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

  const durationMs = context.size(20_000, 4_000)
  const warmupMs = context.size(2_000, 500)
  const total = Math.round((openLoopRate * durationMs) / 1000)
  const bar = context.progress(`${backend} open loop ${openLoopRate}/s`, total)
  const machineBefore = readCpuTimes()
  const metricsBefore = await api.metrics()
  const run = await openLoop(target, {
    ratePerSecond: openLoopRate,
    durationMs,
    connections: 256,
    firstIndex: 2_000_000,
    onResult: () => bar.increment(),
  })
  const machineCpuPercent = busyPercent(machineBefore, readCpuTimes())
  bar.finish()

  // Requests due in the first warmupMs are sent but not counted (the consumers' first fetches).
  const counted = run.results.filter((result) => result.scheduledAt >= run.startedAt + warmupMs)
  const ok = counted.filter((result) => result.status === 201 && result.taskId !== undefined)
  const arrivalsAtSink = new Map<string, number>()
  const waitUntil = Date.now() + 15_000
  for (;;) {
    for (const [subject, at] of await sink.takeArrivals()) arrivalsAtSink.set(subject, at)
    const done = ok.every(
      (result) => watcher.arrivals.has(result.taskId!) && arrivalsAtSink.has(result.taskId!),
    )
    if (done || Date.now() > waitUntil) break
    await sleep(200)
  }
  const relay = relayBreakdown(metricsBefore, await api.metrics())
  await dispatcher.stop()
  await watcher.stop()

  const toAppend: number[] = []
  const toKafka: number[] = []
  const endToEnd: number[] = []
  for (const result of ok) {
    const onKafka = watcher.arrivals.get(result.taskId!)
    if (onKafka !== undefined) toKafka.push(onKafka - result.answeredAt)
    const appendedAt = watcher.appended.get(result.taskId!)
    if (appendedAt !== undefined) toAppend.push(appendedAt - result.answeredAt)
    const atSink = arrivalsAtSink.get(result.taskId!)
    if (atSink !== undefined) endToEnd.push(atSink - result.scheduledAt)
  }
  return {
    ratePerSecond: openLoopRate,
    measured: ok.length,
    failed: counted.length - ok.length,
    achievedPerSecond: perSecond(run.results.length, run.endedAt - run.startedAt),
    request: summarize(ok.map((result) => result.answeredAt - result.scheduledAt)),
    toAppend: summarize(toAppend),
    toKafka: summarize(toKafka),
    endToEnd: summarize(endToEnd),
    missingOnKafka: ok.length - toKafka.length,
    missingAtSink: ok.length - endToEnd.length,
    machineCpuPercent,
    relay,
  }
}
