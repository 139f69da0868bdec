// Scenario 4: PostgreSQL unreachable. The scenario's database is reached through two TCP proxies, one
// for the Task API (and its outbox relay), one for the functions, and each is cut in turn: the shared
// PostgreSQL server itself is never touched.
// - API cut: every request answers 503 problem+json, no event exists for a change that was not stored,
//   and the API serves again once the path is back, without a restart.
// - Functions cut: they answer 5xx, the KafkaSources retry (no dead letter), and once the path is back
//   every event has its effect once.
// Needs: java + mvn (a broker of the scenario's own) and PostgreSQL.

import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaClient } from '../../kafka/src/index.ts'
import { readTopicToEnd } from '../support/kafka.ts'
import { type DatabaseProxy, proxyDatabaseUrl } from '../support/tcp-proxy.ts'
import { assignedTask, assignees, type FaultSystem, startFaultSystem } from './support/fault-system.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'
import { postTasks, settledEffects, taskFigures } from './support/task-traffic.ts'

const ready = await scenarioServicesAvailable()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const functionOutageMs = 10_000

describe.runIf(ready)('scenario 4: PostgreSQL unreachable for the API, then for the functions', () => {
  let system: FaultSystem
  let apiPath: DatabaseProxy
  let functionPath: DatabaseProxy
  beforeAll(async () => {
    system = await startFaultSystem({
      webhookUsers: assignees,
      databaseUrl: async (url) => {
        apiPath = await proxyDatabaseUrl(url)
        return apiPath.url
      },
      functionDatabaseUrl: async (url) => {
        functionPath = await proxyDatabaseUrl(url)
        return functionPath.url
      },
    })
  }, 240_000)
  afterAll(async () => {
    await system?.stop()
    await apiPath?.close()
    await functionPath?.close()
  }, 120_000)

  const tasks = (count: number, label: string) =>
    postTasks(system.sut, {
      count,
      concurrency: 4,
      actor: 'alice',
      task: (i) => ({ ...assignedTask(i), title: `${label} ${i}` }),
    })

  it('API: 503 problem+json while cut, no event for an unstored change, serves again without a restart', async () => {
    const before = await tasks(20, 'before the API outage')
    expect(before.refused).toEqual([])

    apiPath.cut()
    const answers: { status: number; contentType: string | null }[] = []
    for (let i = 0; i < 20; i++) {
      const response = await system.sut.request('/tasks', {
        method: 'POST',
        user: 'alice',
        body: { title: `during the API outage ${i}` },
      })
      answers.push({ status: response.status, contentType: response.headers.get('content-type') })
      await response.body?.cancel()
    }
    const read = await system.sut.request('/tasks', { user: 'alice' })
    answers.push({ status: read.status, contentType: read.headers.get('content-type') })
    await read.body?.cancel()
    apiPath.restore()

    for (const answer of answers) {
      expect(answer.status).toBe(503)
      expect(answer.contentType).toMatch(/^application\/problem\+json/)
    }
    const after = await tasks(20, 'after the API outage')
    expect(after.refused).toEqual([])
    await settledEffects(system, [...before.ids, ...after.ids])

    const client = createKafkaClient({
      brokers: system.kafka.brokers,
      clientId: 'database-scenario',
      logger: pino({ level: 'silent' }),
    })
    const records = await readTopicToEnd(client, 'task-events')
    const titles = records.map((record) => record.value?.toString('utf8') ?? '')
    expect(titles.filter((title) => title.includes('during the API outage'))).toEqual([])
    expect(titles.filter((title) => title.includes('after the API outage'))).toHaveLength(20)
  })

  it('functions: 5xx while cut, retried rather than dead-lettered, every effect once when back', async () => {
    const started = Date.now()
    const sources = system.sut.system.sources
    const retriedBefore = sources.reduce((sum, source) => sum + source.stats().retried, 0)
    const deadBefore = sources.reduce((sum, source) => sum + source.stats().deadLettered, 0)

    functionPath.cut()
    const cutAt = Date.now()
    const during = await tasks(300, 'during the function outage')
    expect(during.refused).toEqual([])
    await sleep(Math.max(0, functionOutageMs - (Date.now() - cutAt)))
    functionPath.restore()
    const outageMs = Date.now() - cutAt

    const effects = await settledEffects(system, during.ids)
    const retried = sources.reduce((sum, source) => sum + source.stats().retried, 0) - retriedBefore
    const deadLettered = sources.reduce((sum, source) => sum + source.stats().deadLettered, 0) - deadBefore
    recordScenario({
      id: '4-database-unreachable',
      title:
        'PostgreSQL unreachable: for the API (20 writes refused), then 10 s for the functions (300 tasks)',
      ...taskFigures(effects, during.ids.length),
      details: {
        'API answers while cut': '21 x 503 problem+json, 0 events',
        'functions cut (ms)': outageMs,
        'deliveries retried': retried,
        'dead letters': deadLettered,
        'webhook re-sends': effects.webhookRepeats,
      },
      durationMs: Date.now() - started,
    })
    expect(retried).toBeGreaterThan(0)
    expect(deadLettered).toBe(0)
    expect(effects.auditRows).toBe(during.ids.length)
    expect(effects.notificationRows).toBe(during.ids.length)
    expect(effects.duplicateNotifications).toBe(0)
    expect(effects.scheduledTasks).toBe(during.ids.length)
  })
})
