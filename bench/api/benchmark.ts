// Benchmark 3: POST /tasks on the Task API with the outbox relay publishing to the run's Kafka, on
// PGlite and on PostgreSQL. Closed loop: the most it serves (goal >= 3,000 req/s). Open loop at
// 1,000 req/s with only the API, PostgreSQL and the broker: request p99 (goal < 25 ms) and 201 ->
// record on Kafka p99 (< 50 ms); the same loop again with a local KafkaSource delivering to a sink:
// POST -> function p99 (< 100 ms).
import { loadavg } from 'node:os'
import type { Benchmark, BenchReport } from '../src/harness/benchmark.ts'
import { ratio } from '../src/harness/stats.ts'
import type { LatencySummary } from './latency.ts'
import {
  type ApiBackend,
  type BackendFigures,
  closedLoopConcurrency,
  measureBackend,
  openLoopRate,
} from './measure-backend.ts'

export const apiGoals = {
  requestsPerSecond: 3_000,
  requestP99Ms: 25,
  toKafkaP99Ms: 50,
  endToEndP99Ms: 100,
} as const

const backends: readonly ApiBackend[] = ['pglite', 'postgresInline', 'postgres']
const label = {
  pglite: 'PGlite (on disk)',
  postgresInline: 'PostgreSQL, relay inline',
  postgres: 'PostgreSQL, relay thread',
} as const

const latencyCells = (summary: LatencySummary) => [
  summary.p50,
  summary.p90,
  summary.p99,
  summary.p999,
  summary.max,
]

/** A percentile as "nines" (p90 = 1, p99 = 2, p99.9 = 3), so the tail is not squeezed at the right edge. */
const nines = (p: number) => Math.round(-Math.log10(1 - p / 100) * 100) / 100

function percentileSeries(name: string, summary: LatencySummary) {
  return {
    name,
    points: [
      [nines(50), summary.p50],
      [nines(90), summary.p90],
      [nines(99), summary.p99],
      [nines(99.9), summary.p999],
    ] as [number, number][],
  }
}

const verdict = (value: number, goal: number, better: 'above' | 'below') => {
  const met = better === 'above' ? value >= goal : value < goal
  return `${value} (x${ratio(value, goal)} of the goal ${better === 'above' ? '>=' : '<'} ${goal}: ${met ? 'met' : 'missed'})`
}

const benchmark: Benchmark = {
  name: 'api',
  order: 3,
  title: 'API: POST /tasks with the outbox relay on Kafka',
  needs: ['kafka', 'postgres'],
  async run(context): Promise<BenchReport> {
    // Other work on the machine (tests of other users) competes for the same CPUs: say how much.
    const loadAverage = Math.round(loadavg()[0]! * 100) / 100
    const measured: BackendFigures[] = []
    for (const backend of backends) measured.push(await measureBackend(context, backend))

    const figures: Record<string, number> = { loadAverageAtStart: loadAverage }
    for (const { backend, closed, open, delivered } of measured) {
      figures[`${backend}.closed.requestsPerSecond`] = Math.round(closed.requestsPerSecond)
      figures[`${backend}.closed.p50Ms`] = closed.latency.p50
      figures[`${backend}.closed.p99Ms`] = closed.latency.p99
      figures[`${backend}.closed.apiCpuPercent`] = closed.apiCpuPercent
      figures[`${backend}.closed.apiEventLoopUtilization`] = closed.apiEventLoopUtilization
      figures[`${backend}.closed.publishedPerSecond`] = Math.round(closed.publishedPerSecond)
      figures[`${backend}.closed.backlogAtEnd`] = closed.backlogAtEnd
      figures[`${backend}.closed.ratioToGoal`] = ratio(closed.requestsPerSecond, apiGoals.requestsPerSecond)
      figures[`${backend}.open.requestP99Ms`] = open.request.p99
      figures[`${backend}.open.toAppendP99Ms`] = open.toAppend.p99
      figures[`${backend}.open.relaySelectMeanMs`] = open.relay.selectMeanMs
      figures[`${backend}.open.relaySendMeanMs`] = open.relay.sendMeanMs
      figures[`${backend}.open.relayEventsPerSend`] = open.relay.eventsPerSend
      figures[`${backend}.open.missingOnKafka`] = open.missingOnKafka
      figures[`${backend}.open.loopDelayP99Ms`] = open.stalls.loopDelayP99Ms
      figures[`${backend}.open.gcPauseMaxMs`] = open.stalls.gcPauseMaxMs
      figures[`${backend}.open.serverRequestP99Ms`] = open.server.p99Ms
      figures[`${backend}.open.dirtyMbFlushedBefore`] = open.flushedBefore.dirtyMb
      figures[`${backend}.open.reclaimScans`] = open.reclaim.scans
      figures[`${backend}.open.requestsDuringReclaimPercent`] = open.reclaim.overlappingPercent
      figures[`${backend}.open.requestP99MsDuringReclaim`] = open.reclaim.overlapping.p99
      figures[`${backend}.open.requestP99MsOutsideReclaim`] = open.reclaim.rest.p99
      figures[`${backend}.delivered.requestP99Ms`] = delivered.request.p99
      figures[`${backend}.delivered.toAppendP99Ms`] = delivered.toAppend.p99
      figures[`${backend}.delivered.toKafkaP99Ms`] = delivered.toKafka.p99
      figures[`${backend}.delivered.endToEndP99Ms`] = delivered.endToEnd.p99
      figures[`${backend}.delivered.missingAtSink`] = delivered.missingAtSink
    }

    const closedRows = measured.map(({ backend, closed }) => [
      label[backend],
      closed.concurrency,
      closed.requests,
      closed.failed,
      Math.round(closed.requestsPerSecond),
      ratio(closed.requestsPerSecond, apiGoals.requestsPerSecond),
      closed.latency.p50,
      closed.latency.p99,
      closed.apiCpuPercent,
      closed.apiEventLoopUtilization,
      closed.machineCpuPercent,
      Math.round(closed.publishedPerSecond),
      closed.backlogAtEnd,
    ])
    const quiet = 'API + PostgreSQL + broker'
    const downstream = '+ consumer + KafkaSource'
    const openRows = measured.flatMap(({ backend, open, delivered }) => {
      // samples: the loop's 201s, less those whose record was missing; the last cell: failed or missing.
      const row = (
        running: string,
        span: string,
        summary: LatencySummary,
        samples: number,
        missing: number,
        goal?: number,
      ) => [
        label[backend],
        running,
        span,
        samples,
        ...latencyCells(summary),
        goal ?? '',
        goal === undefined ? '' : ratio(summary.p99, goal),
        missing,
      ]
      const requestSpan = 'request (scheduled send -> 201 read)'
      const appendSpan = '201 read -> record appended on Kafka (broker time)'
      return [
        row(quiet, requestSpan, open.request, open.measured, open.failed, apiGoals.requestP99Ms),
        row(
          quiet,
          appendSpan,
          open.toAppend,
          open.measured - open.missingOnKafka,
          open.missingOnKafka,
          apiGoals.toKafkaP99Ms,
        ),
        row(downstream, requestSpan, delivered.request, delivered.measured, delivered.failed),
        row(
          downstream,
          appendSpan,
          delivered.toAppend,
          delivered.measured - delivered.missingOnKafka,
          delivered.missingOnKafka,
        ),
        row(
          downstream,
          '201 read -> record seen by a consumer',
          delivered.toKafka,
          delivered.measured - delivered.missingOnKafka,
          delivered.missingOnKafka,
        ),
        row(
          downstream,
          'scheduled send -> KafkaSource request at sink',
          delivered.endToEnd,
          delivered.measured - delivered.missingAtSink,
          delivered.missingAtSink,
          apiGoals.endToEndP99Ms,
        ),
      ]
    })

    const verdicts = measured.map(
      ({ backend, closed, open, delivered }) =>
        `${label[backend]}: closed loop ${verdict(Math.round(closed.requestsPerSecond), apiGoals.requestsPerSecond, 'above')} req/s; ` +
        `at ${openLoopRate}/s request p99 ${verdict(open.request.p99, apiGoals.requestP99Ms, 'below')} ms, ` +
        `201 -> Kafka p99 ${verdict(open.toAppend.p99, apiGoals.toKafkaP99Ms, 'below')} ms, ` +
        `POST -> function p99 ${verdict(delivered.endToEnd.p99, apiGoals.endToEndP99Ms, 'below')} ms.`,
    )

    return {
      tables: [
        {
          title: `Closed loop: ${closedLoopConcurrency} POST /tasks in flight (undici Pool), relay publishing to Kafka`,
          columns: [
            'database',
            'in flight',
            'requests',
            'failed',
            'req/s',
            'x goal 3,000',
            'p50 ms',
            'p99 ms',
            'API CPU % of one core',
            'API event loop busy',
            'machine CPU %',
            'published to Kafka /s',
            'outbox backlog at the end',
          ],
          rows: closedRows,
        },
        {
          title: `Open loop: ${openLoopRate} POST /tasks per second on a fixed schedule (latency from the scheduled send), first with only what the goals name running, then with the downstream`,
          columns: [
            'database',
            'running',
            'span',
            'samples',
            'p50 ms',
            'p90 ms',
            'p99 ms',
            'p99.9 ms',
            'max ms',
            'goal p99 ms',
            'x goal',
            'failed / missing',
          ],
          rows: openRows,
        },
        {
          title: `The API during the first open loop: its own request duration, how late its event loop ran ready work, GC pauses (the earlier phases' dirty pages were written to disk first, bench/src/harness/writeback.ts)`,
          columns: [
            'database',
            'dirty MB written before',
            'API-side request p50 ms (bucket)',
            'API-side request p99 ms (bucket)',
            'loop delay p50 ms',
            'loop delay p99 ms',
            'loop delay max ms',
            'GC pauses',
            'GC pause total ms',
            'GC pause max ms',
          ],
          rows: measured.map(({ backend, open: { stalls, server, flushedBefore } }) => [
            label[backend],
            flushedBefore.dirtyMb,
            server.p50Ms,
            server.p99Ms,
            stalls.loopDelayP50Ms,
            stalls.loopDelayP99Ms,
            stalls.loopDelayMaxMs,
            stalls.gcPauses,
            stalls.gcPauseTotalMs,
            stalls.gcPauseMaxMs,
          ]),
        },
        {
          title:
            "Where the request tail comes from: the first open loop's requests split by whether the host kernel's memory-reclaim threads (kdamond, kswapd) ran while they were in flight (bench/src/harness/host-reclaim.ts)",
          columns: [
            'database',
            'reclaim threads',
            'times they ran',
            'their CPU ms',
            'requests in flight meanwhile',
            '% of requests',
            'those: p50 ms',
            'those: p99 ms',
            'the rest: p50 ms',
            'the rest: p99 ms',
            'all: p99 ms',
          ],
          rows: measured.map(({ backend, open: { reclaim, request } }) => [
            label[backend],
            reclaim.threads,
            reclaim.scans,
            reclaim.cpuMs,
            reclaim.overlapping.count,
            reclaim.overlappingPercent,
            reclaim.overlapping.p50,
            reclaim.overlapping.p99,
            reclaim.rest.p50,
            reclaim.rest.p99,
            request.p99,
          ]),
        },
        {
          title: `The outbox relay during the open loop (the API's outbox_* histograms)`,
          columns: [
            'database',
            'selects',
            'select mean ms',
            'sends',
            'send mean ms',
            'events per send',
            'marks',
            'mark mean ms',
            'commit -> ack p50 ms (bucket)',
            'commit -> ack p99 ms (bucket)',
          ],
          rows: measured.map(({ backend, open: { relay } }) => [
            label[backend],
            relay.selects,
            relay.selectMeanMs,
            relay.sends,
            relay.sendMeanMs,
            relay.eventsPerSend,
            relay.marks,
            relay.markMeanMs,
            relay.commitToAckP50Ms,
            relay.commitToAckP99Ms,
          ]),
        },
      ],
      figures,
      headline: measured.map(
        ({ backend, closed, open, delivered }) =>
          `${backend} ${Math.round(closed.requestsPerSecond)} req/s; @${openLoopRate}/s p99 req ${open.request.p99} / ->Kafka ${open.toAppend.p99} / ->fn ${delivered.endToEnd.p99} ms`,
      ),
      charts: [
        {
          kind: 'bar',
          title: 'API: POST /tasks per second (closed loop)',
          unit: 'req/s',
          bars: [
            ...measured.map(({ backend, closed }) => ({
              label: label[backend],
              value: Math.round(closed.requestsPerSecond),
            })),
            { label: 'goal', value: apiGoals.requestsPerSecond },
          ],
        },
        {
          kind: 'line',
          title: `API: latency percentiles at ${openLoopRate} req/s`,
          unit: 'ms',
          xLabel: 'percentile in nines (0.3 = p50, 1 = p90, 2 = p99, 3 = p99.9)',
          series: measured.flatMap(({ backend, open, delivered }) => [
            percentileSeries(`${backend} request`, open.request),
            percentileSeries(`${backend} 201->Kafka`, open.toAppend),
            percentileSeries(`${backend} POST->sink`, delivered.endToEnd),
          ]),
        },
      ],
      notes: [
        `Goals: ${verdicts.join(' ')}`,
        ...threadVersusInline(measured),
        "The API runs `startApi` in a process of its own (development auth, LOG_LEVEL=error, outbox relay on, publishing to a 12-partition bench topic of the run's broker); " +
          'the client is an undici Pool in a process of its own (bench/api/load-process.ts), so its event loop is shared with nothing it measures. Body: `{"title", "assignee":"bob", "tags":["bench"]}`. ' +
          'Open loop: request i is due at start + i ms and sent at the first 1 ms timer tick after that; every latency counts from the due time, so a stall is charged to every request it delayed; ' +
          'the first 2 s are sent but not counted. The first open loop runs only the API, PostgreSQL, the broker and the client; the append times are read from the topic after it. The second runs the same load with the downstream: a consumer watching the topic and a KafkaSource delivering to a sink. ' +
          "201 -> Kafka: from the client reading the 201 to the broker appending the record (the topic has message.timestamp.type=LogAppendTime, so a record carries the broker's append time, in whole ms), matched by `ce_subject` (the task id); " +
          'seen by a consumer: to a kafkajs consumer of the topic in the bench process (own group, 100 ms fetch wait) handling the record, which adds its fetch and the busy bench event loop. Both can be negative when the relay published before the client read the response. POST -> sink: a local KafkaSource (`startKafkaSource`, ordered, Knative default delivery) delivering to a no-op sink in its own process that notes when each request arrived. ' +
          'All processes share the machine with the broker and PostgreSQL (one clock: epoch time with sub-millisecond resolution). ' +
          `1-minute load average when the run started: ${loadAverage}.`,
      ],
    }
  },
}

/** The relay's thread judged against the inline relay of the same run (same machine, same minute). */
function threadVersusInline(measured: readonly BackendFigures[]): string[] {
  const inline = measured.find((figures) => figures.backend === 'postgresInline')
  const thread = measured.find((figures) => figures.backend === 'postgres')
  if (inline === undefined || thread === undefined) return []
  return [
    'Relay thread against relay inline (PostgreSQL, this run): closed loop ' +
      `x${ratio(thread.closed.requestsPerSecond, inline.closed.requestsPerSecond)} req/s; at ${openLoopRate}/s ` +
      `request p99 x${ratio(thread.open.request.p99, inline.open.request.p99)}, ` +
      `201 -> Kafka p50 x${ratio(thread.open.toAppend.p50, inline.open.toAppend.p50)} and p99 x${ratio(thread.open.toAppend.p99, inline.open.toAppend.p99)}, ` +
      `POST -> function p99 x${ratio(thread.delivered.endToEnd.p99, inline.delivered.endToEnd.p99)} (below 1: the thread is faster).`,
  ]
}

export default benchmark
