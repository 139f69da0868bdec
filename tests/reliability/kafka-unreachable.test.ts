// Scenario 3: Kafka unreachable for 30 s while the Task API takes writes. The broker is frozen (SIGSTOP):
// connections stay open and nothing answers, as behind a partition that drops packets, so the relay sees
// timeouts rather than refusals. Writes must keep succeeding (the outbox holds the events), and once the
// broker answers again every event must reach the topic, in order per task.
// Needs: java + mvn (a broker of the scenario's own) and PostgreSQL.
import { describe, expect, it } from 'vitest'
import { call } from '../support/api-harness.ts'
import { drainedTopicCheck, sleep, useApiOnKafka, writeTaskJourneys } from './support/api-on-kafka.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'

const ready = await scenarioServicesAvailable()

const outageMs = 30_000

describe.runIf(ready)('scenario 3: Kafka unreachable for 30 s while the API takes writes', () => {
  const apiOnKafka = useApiOnKafka({ nodes: 1 })

  it('every write is acknowledged, the outbox drains afterwards, each event reaches the topic in order per task', async () => {
    const system = apiOnKafka()
    const started = Date.now()
    const url = system.api.url
    let writing = true
    let largestBacklog = 0
    let sawKafkaDown = false
    const journeys = writeTaskJourneys(url, { concurrency: 4, changes: 2, until: () => !writing })

    await sleep(3_000)
    system.kafka.pauseNode(0)
    const outageStarted = Date.now()
    while (Date.now() - outageStarted < outageMs) {
      const readiness = await call(url, 'GET', '/readyz')
      // Degraded but ready: a load balancer keeps sending writes, which the outbox takes.
      expect(readiness.status).toBe(200)
      largestBacklog = Math.max(largestBacklog, readiness.body?.outbox?.backlog ?? 0)
      sawKafkaDown ||= readiness.body?.kafka === 'down'
      await sleep(1_000)
    }
    system.kafka.resumeNode(0)
    const resumedAt = Date.now()
    await sleep(3_000)
    writing = false
    const { acknowledged, refused } = await journeys
    expect(refused).toEqual([])

    const check = await drainedTopicCheck(system, acknowledged)
    const drainedMs = Date.now() - resumedAt
    recordScenario({
      id: '3-kafka-unreachable',
      title: 'Kafka unreachable (frozen) for 30 s while the API takes writes',
      sent: acknowledged.length,
      delivered: check.delivered,
      duplicatesSeenByUsers: null,
      lost: check.lost.length,
      details: {
        'largest outbox backlog': largestBacklog,
        'drained after the broker answered (ms)': drainedMs,
        'duplicate records on the topic': check.duplicateRecords,
        'tasks out of order': check.outOfOrderTasks.length,
      },
      durationMs: Date.now() - started,
    })
    expect(sawKafkaDown).toBe(true)
    expect(largestBacklog).toBeGreaterThan(0)
    expect(check.undecodable).toBe(0)
    expect(check.lost).toEqual([])
    expect(check.outOfOrderTasks).toEqual([])
  })
})
