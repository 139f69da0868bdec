import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consoleRoutes } from '../../../local/src/console/console-routes.ts'
import { type DeadLetterView, deadLetterRoutes } from '../../../local/src/console/dead-letter-routes.ts'
import { describePipeline, type Pipeline } from '../../../local/src/console/pipeline.ts'
import { type Gateway, startGateway } from '../../../local/src/gateway.ts'
import { createRecentDeliveries, recordingDeliveries } from '../../../local/src/recent-deliveries.ts'
import { type DeadLetter, deadLetterOf } from '../../../ops/dead-letters/dead-letters.ts'
import { loadSystemManifests } from '../../../sources/src/manifests.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'

const manifests = loadSystemManifests(new URL('../../../', import.meta.url).pathname)

describe('the console pipeline', () => {
  it('is drawn from the manifests: KafkaSources and PingSources -> functions -> KafkaSinks', () => {
    const pipeline = describePipeline(manifests, new Set(['audit-log', 'notification-fanout', 'reminders']))
    const kafkaSources = pipeline.sources.filter((source) => source.kind === 'KafkaSource')
    expect(kafkaSources.map((source) => source.name).sort()).toEqual([
      'audit-log',
      'notification-fanout',
      'reminders',
    ])
    expect(kafkaSources.find((source) => source.name === 'notification-fanout')).toMatchObject({
      topics: ['task-events', 'reminder-events'],
      sink: { kind: 'Service', name: 'notification-fanout' },
      deadLetterSink: { kind: 'KafkaSink', name: 'dead-letters' },
    })
    expect(pipeline.sources.some((source) => source.kind === 'PingSource')).toBe(true)
    expect(pipeline.functions.map((fn) => fn.name).sort()).toEqual([
      'audit-log',
      'notification-fanout',
      'reminders',
    ])
    expect(pipeline.sinks.map((sink) => sink.name)).toContain('dead-letters')
    // Only the functions the system runs.
    expect(describePipeline(manifests, new Set(['reminders'])).functions.map((fn) => fn.name)).toEqual([
      'reminders',
    ])
  })
})

describe('the recent deliveries', () => {
  it('keep the last N, newest first, noted from the dispatcher metrics hook', () => {
    const recent = createRecentDeliveries(3)
    const seen: number[] = []
    const metrics = recordingDeliveries(
      {
        dispatched: (_source, status) => void seen.push(status ?? 0),
        processed: () => {},
        trackSource: () => () => {},
      },
      recent,
    )
    const labels = {
      kn_kafkasource_name: 'audit-log',
      kn_kafkasource_namespace: 'taskflow',
      messaging_consumer_group_name: 'g',
    }
    for (const status of [200, 202, 422, 503, null]) metrics.dispatched(labels, status, 'dev.t', 12.4)
    expect(seen).toEqual([200, 202, 422, 503, 0])
    expect(recent.list().map((d) => [d.status, d.outcome])).toEqual([
      [null, 'failed'],
      [503, 'failed'],
      [422, 'failed'],
    ])
    expect(recent.list()[0]).toMatchObject({ source: 'audit-log', type: 'dev.t', ms: 12 })
  })
})

describe('the console routes of the gateway', () => {
  let sink: RecordingSink
  let sinkUrl: string
  let gateway: Gateway
  let letters: DeadLetter[]

  beforeAll(async () => {
    sink = await startRecordingSink()
    sinkUrl = sink.url
    const record = (offset: string, headers: Record<string, string>, value: string) => ({
      topic: 'dead-letters',
      partition: 1,
      offset,
      timestamp: String(Date.parse('2026-12-07T10:00:00Z') + Number(offset)),
      key: null,
      value: Buffer.from(value),
      headers,
    })
    letters = [
      deadLetterOf(
        record(
          '7',
          {
            ce_specversion: '1.0',
            ce_id: 'event-1',
            ce_source: '/taskflow/api',
            ce_type: 'dev.taskflow.task.created',
            ce_knativeerrordest: sinkUrl,
            ce_knativeerrorcode: '503',
            ce_knativeerrordata: 'down',
            'content-type': 'application/json',
          },
          '{"task":{"id":"t1"}}',
        ),
      ),
      deadLetterOf(record('8', {}, 'not an event')),
    ]
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      allowedHosts: ['127.0.0.1', 'localhost'],
      logger: pino({ level: 'silent' }),
      routes: [
        ...consoleRoutes(() => describePipeline(manifests, new Set(['audit-log']))),
        ...deadLetterRoutes({
          topics: ['dead-letters'],
          reader: async () => ({ read: async (topic) => (topic === 'dead-letters' ? letters : []) }),
          functionAt: (target) => (target.startsWith(sinkUrl) ? 'audit-log' : undefined),
          tokenFor: async (name) => `token-of-a-source-of-${name}`,
        }),
      ],
    })
  })
  afterAll(async () => {
    await gateway?.close()
    await sink?.close()
  })

  const at = (path: string) => new URL(path, gateway.url)

  it('serves the page, its script and stylesheet with a strict content security policy', async () => {
    const page = await fetch(at('/_local/console'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('/_local/console/console.js')
    expect((await fetch(at('/_local/console/console.js'))).headers.get('content-type')).toMatch(
      /^text\/javascript/,
    )
    expect((await fetch(at('/_local/console/console.css'))).status).toBe(200)
    const pipeline = (await (await fetch(at('/_local/pipeline'))).json()) as Pipeline
    expect(pipeline.functions).toEqual([{ name: 'audit-log', sink: null }])
  })

  it('lists the dead letters newest first, naming the function each failed at', async () => {
    const response = await fetch(at('/_local/dead-letters'))
    expect(response.status).toBe(200)
    const body = (await response.json()) as { total: number; deadLetters: DeadLetterView[] }
    expect(body.total).toBe(2)
    expect(body.deadLetters.map((letter) => letter.id)).toEqual(['dead-letters:1:8', 'dead-letters:1:7'])
    expect(body.deadLetters[1]).toMatchObject({
      eventId: 'event-1',
      function: 'audit-log',
      code: '503',
      destination: sinkUrl,
      problem: null,
    })
    expect(body.deadLetters[0]!.problem).toMatch(/CloudEvent/)
  })

  it('replays one dead letter on a same-origin POST, with the token of a source of its function', async () => {
    sink.requests.length = 0
    const response = await fetch(at('/_local/dead-letters/dead-letters%3A1%3A7/replay'), {
      method: 'POST',
      headers: { origin: gateway.url.origin },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ result: 'replayed', target: sinkUrl, detail: 'HTTP 202' })
    expect(sink.requests).toHaveLength(1)
    expect(sink.requests[0]!.headers).toMatchObject({
      authorization: 'Bearer token-of-a-source-of-audit-log',
      'ce-id': 'event-1',
    })
    expect(sink.requests[0]!.headers['ce-knativeerrordest']).toBeUndefined()
    expect(sink.requests[0]!.body).toBe('{"task":{"id":"t1"}}')
  })

  it('refuses a replay from another origin, without an Origin, or by GET; an unknown one is 404', async () => {
    sink.requests.length = 0
    const replay = (init: RequestInit, id = 'dead-letters:1:7') =>
      fetch(at(`/_local/dead-letters/${id}/replay`), init)
    expect((await replay({ method: 'POST', headers: { origin: 'http://evil.example' } })).status).toBe(403)
    expect((await replay({ method: 'POST' })).status).toBe(403)
    expect((await replay({ method: 'GET' })).status).toBe(405)
    const origin = { origin: gateway.url.origin }
    expect((await replay({ method: 'POST', headers: origin }, 'dead-letters:1:99')).status).toBe(404)
    expect((await replay({ method: 'POST', headers: origin }, 'task-events:0:1')).status).toBe(404)
    expect(sink.requests).toEqual([])
    // Not a CloudEvent: nowhere to send it, said so.
    const skipped = await replay({ method: 'POST', headers: origin }, 'dead-letters:1:8')
    expect(await skipped.json()).toMatchObject({ result: 'skipped' })
  })
})
