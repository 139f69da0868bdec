import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiMetrics } from '../../../api/src/metrics.ts'
import { collectStatus, renderStatus, type SystemStatus } from '../../../local/src/status.ts'
import type { LocalSystem } from '../../../local/src/system.ts'
import { runCli } from '../../support/run-cli.ts'
import { type SystemStub, startSystemStub } from '../../support/system-stub.ts'

const status: SystemStatus = {
  url: 'http://127.0.0.1:8080/',
  eventLog: 'embedded',
  eventLogAddress: { kind: 'embedded', database: 'postgres://postgres@127.0.0.1:5555/postgres' },
  outbox: {
    pending: 3,
    oldestPendingSeconds: 7,
    relay: { running: true, log: 'up', consecutiveFailures: 0, lastError: null },
  },
  sources: [],
  functions: [],
  sinks: [{ name: 'dead-letters', accepted: 4, rejected: 1, writeFailures: 0, refused: 2 }],
  pings: [
    {
      name: 'reminders-tick',
      ticks: 9,
      delivered: 8,
      failed: 1,
      lastTick: '2026-12-04T10:00:00.000Z',
      nextTick: '2026-12-04T10:01:00.000Z',
    },
  ],
}

describe('the local system status', () => {
  it('shows the outbox, the KafkaSinks and the PingSources with their last and next tick', () => {
    const text = renderStatus(status)
    expect(text).toContain('outbox: 3 pending, oldest 7 s; relay running, event log up')
    expect(text).toMatch(/^dead-letters\s+4\s+1\s+0\s+2$/m)
    expect(text).toMatch(
      /^reminders-tick\s+9\s+8\s+1\s+2026-12-04T10:00:00.000Z\s+2026-12-04T10:01:00.000Z$/m,
    )
  })

  it('shows the partitions behind per source and the last deliveries, newest first', () => {
    const source = {
      name: 'audit-log',
      ordering: 'ordered' as const,
      lag: 13,
      partitions: [
        { topic: 'task-events', partition: 0, lag: 0 },
        { topic: 'task-events', partition: 3, lag: 12 },
        { topic: 'task-events', partition: 7, lag: 1 },
      ],
      inFlight: 2,
      delivered: 40,
      retried: 1,
      deadLettered: 0,
      dropped: 0,
      refused: 0,
    }
    const delivery = (second: number, status: number | null) => ({
      time: `2026-12-07T21:00:0${second}.250Z`,
      source: 'audit-log',
      type: 'dev.taskflow.task.created',
      status,
      outcome: status === 200 ? ('delivered' as const) : ('failed' as const),
      ms: 3.4,
    })
    const text = renderStatus({
      ...status,
      sources: [source, { ...source, name: 'reminders', lag: 0, partitions: [] }],
      recentDeliveries: [delivery(9, null), ...Array.from({ length: 8 }, (_, i) => delivery(8 - i, 200))],
    })
    expect(text).toMatch(/^audit-log\s+ordered\s+13\s+2\s+40\s+1\s+0\s+0\s+0\s+p3=12 p7=1$/m)
    expect(text).toMatch(/^reminders\s+ordered\s+0\s.*\s-$/m)
    expect(text).toMatch(/^21:00:09\.250\s+audit-log\s+dev\.taskflow\.task\.created\s+no answer\s+3 ms$/m)
    // Five shown, newest first.
    expect(text.match(/^21:00:0\d\.250 /gm)).toEqual([
      '21:00:09.250 ',
      '21:00:08.250 ',
      '21:00:07.250 ',
      '21:00:06.250 ',
      '21:00:05.250 ',
    ])
  })

  it('collects the outbox backlog from the API’s gauges, the pings’ ticks and where the event log is', async () => {
    const metrics = createApiMetrics({ outboxBacklog: async () => ({ count: 5, oldestAgeSeconds: 12.4 }) })
    const tick = new Date('2026-12-04T10:00:00Z')
    const fake = {
      url: new URL('http://127.0.0.1:8080/'),
      eventLog: { kind: 'embedded' },
      databaseUrl: 'postgres://postgres@127.0.0.1:5555/postgres',
      api: { metrics: metrics.registry, relay: undefined },
      recentDeliveries: { list: () => [] },
      sources: [],
      functions: new Map(),
      sinks: new Map(),
      pings: new Map([
        [
          'reminders-tick',
          {
            stats: () => ({ ticks: 1, delivered: 1, failed: 0 }),
            lastTick: () => tick,
            nextTick: () => null,
          },
        ],
      ]),
    } as unknown as LocalSystem
    const collected = await collectStatus(fake)
    expect(collected.outbox).toEqual({ pending: 5, oldestPendingSeconds: 12, relay: null })
    expect(collected.pings).toEqual([
      {
        name: 'reminders-tick',
        ticks: 1,
        delivered: 1,
        failed: 0,
        lastTick: tick.toISOString(),
        nextTick: null,
      },
    ])
    expect(collected.eventLogAddress).toEqual({ kind: 'embedded', database: fake.databaseUrl })
    // A database with a password is not handed out: the tool takes DATABASE_URL from its environment.
    const withPassword = { ...fake, databaseUrl: 'postgres://app:secret@db:5432/app' } as LocalSystem
    expect((await collectStatus(withPassword)).eventLogAddress).toEqual({ kind: 'embedded', database: null })
    const onKafka = {
      ...fake,
      eventLog: { kind: 'kafka', brokers: ['127.0.0.1:9092'] },
    } as unknown as LocalSystem
    expect((await collectStatus(onKafka)).eventLogAddress).toEqual({
      kind: 'kafka',
      brokers: ['127.0.0.1:9092'],
    })
  })
})

describe('the status the console reads', () => {
  it('has each source’s lag per partition and the recent deliveries', async () => {
    const metrics = createApiMetrics({ outboxBacklog: async () => ({ count: 0, oldestAgeSeconds: 0 }) })
    const delivery = {
      time: '2026-12-07T10:00:00.000Z',
      source: 'audit-log',
      type: 'dev.taskflow.task.created',
      status: 202,
      outcome: 'delivered' as const,
      ms: 4,
    }
    const lag = [
      { topic: 'task-events', partition: 0, committed: '3', end: '5', lag: 2 },
      { topic: 'task-events', partition: 1, committed: null, end: '1', lag: 1 },
    ]
    const fake = {
      url: new URL('http://127.0.0.1:8080/'),
      eventLog: { kind: 'embedded', lag: async () => lag },
      databaseUrl: 'postgres://postgres@127.0.0.1:5555/postgres',
      api: { metrics: metrics.registry, relay: undefined },
      recentDeliveries: { list: () => [delivery] },
      sources: [
        {
          spec: { name: 'audit-log', ordering: 'ordered', consumerGroup: 'g', topics: ['task-events'] },
          stats: () => ({ inFlight: 0, delivered: 1, retried: 0, deadLettered: 0, dropped: 0, refused: 0 }),
        },
      ],
      functions: new Map(),
      sinks: new Map(),
      pings: new Map(),
    } as unknown as LocalSystem
    const collected = await collectStatus(fake)
    expect(collected.sources[0]).toMatchObject({
      name: 'audit-log',
      lag: 3,
      partitions: [
        { topic: 'task-events', partition: 0, lag: 2 },
        { topic: 'task-events', partition: 1, lag: 1 },
      ],
    })
    expect(collected.recentDeliveries).toEqual([delivery])
    // The log not answering: the lag is unknown, not zero.
    const down = {
      ...fake,
      eventLog: { kind: 'embedded', lag: async () => Promise.reject(new Error('down')) },
    }
    const unknown = await collectStatus(down as unknown as LocalSystem)
    expect(unknown.sources[0]).toMatchObject({ partitions: [] })
    expect(unknown.sources[0]!.lag).toBeNaN()
  })
})

describe('npm run status', () => {
  let stub: SystemStub
  let dir: string
  let stateFile: string

  beforeAll(async () => {
    stub = await startSystemStub((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status)),
    )
    ;({ dir, stateFile } = stub)
  })
  afterAll(() => stub?.close())

  it('prints the table, or the status as JSON', async () => {
    const table = await runCli('local/src/status-cli.ts', ['--state-file', stateFile])
    expect(table.code).toBe(0)
    expect(table.stdout).toContain('outbox: 3 pending')
    const json = await runCli('local/src/status-cli.ts', ['--json', '--state-file', stateFile])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(status)
  })

  it('--watch refreshes until stopped, one JSON line each time with --json', async () => {
    const child = spawn(
      process.execPath,
      ['local/src/status-cli.ts', '--watch', '0.05', '--json', '--state-file', stateFile],
      { cwd: fileURLToPath(new URL('../../../', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    const lines = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const complete = out.split('\n').slice(0, -1)
        if (complete.length >= 3) resolve(complete)
      })
      child.once('exit', (code) => reject(new Error(`exited ${code} early: ${out}`)))
    }).finally(() => child.kill('SIGINT'))
    for (const line of lines) expect(JSON.parse(line)).toEqual(status)
  })

  it('answers --help, refuses unknown flags and bad intervals (2), and says when no system runs (2)', async () => {
    const help = await runCli('local/src/status-cli.ts', ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--watch [seconds]')
    for (const args of [['--bogus'], ['--watch', 'soon'], ['--watch', '-1'], ['extra']]) {
      const run = await runCli('local/src/status-cli.ts', [...args, '--state-file', stateFile])
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain('Usage: npm run status')
    }
    const none = await runCli('local/src/status-cli.ts', ['--state-file', join(dir, 'none.json')])
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('npm start') })
  })
})
