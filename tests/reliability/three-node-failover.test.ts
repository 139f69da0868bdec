// Scenario 6: a three-node Kafka (replication 3, min.insync.replicas 2, the Strimzi production layout)
// loses a node (SIGKILL) while the Task API's relay produces with acks=all. Every event the broker
// acknowledged was on at least two replicas, so none may be missing from the topic afterwards.
// Needs: java + mvn (a cluster of the scenario's own) and PostgreSQL.
import { describe, expect, it } from 'vitest'
import { withAdmin } from '../../kafka/src/index.ts'
import { drainedTopicCheck, sleep, useApiOnKafka, writeTaskJourneys } from './support/api-on-kafka.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'

const ready = await scenarioServicesAvailable()

describe.runIf(ready)('scenario 6: one of three Kafka nodes killed during production', () => {
  const apiOnKafka = useApiOnKafka({ nodes: 3 })

  it('no event the cluster acknowledged is lost, and every task keeps its order', async () => {
    const system = apiOnKafka()
    const started = Date.now()
    const url = system.api.url
    const metadata = await withAdmin(system.client, (admin) =>
      admin.fetchTopicMetadata({ topics: ['task-events'] }),
    )
    const partitions = metadata.topics[0]!.partitions
    expect(partitions.every((p) => p.replicas.length === 3)).toBe(true)
    // The node that leads the most partitions: its loss moves the most leaders mid-production.
    const leads = new Map<number, number>()
    for (const partition of partitions) leads.set(partition.leader, (leads.get(partition.leader) ?? 0) + 1)
    const [victimId, ledPartitions] = [...leads].sort((a, b) => b[1] - a[1])[0]!
    const victim = system.kafka.nodes.find((node) => node.nodeId === victimId)!

    let writing = true
    const journeys = writeTaskJourneys(url, { concurrency: 4, changes: 1, until: () => !writing })
    await sleep(5_000)
    const killedAt = Date.now()
    await system.kafka.killNode(victim.index)
    await sleep(15_000)
    writing = false
    const { acknowledged, refused } = await journeys
    expect(refused).toEqual([])

    const check = await drainedTopicCheck(system, acknowledged)
    recordScenario({
      id: '6-three-node-failover',
      title: 'One of three Kafka nodes SIGKILLed during production (acks=all, min ISR 2)',
      sent: acknowledged.length,
      delivered: check.delivered,
      duplicatesSeenByUsers: null,
      lost: check.lost.length,
      details: {
        'partitions the killed node led': ledPartitions,
        'written after the kill (s)': Math.round((Date.now() - killedAt) / 1000),
        'duplicate records on the topic': check.duplicateRecords,
        'tasks out of order': check.outOfOrderTasks.length,
      },
      durationMs: Date.now() - started,
    })
    expect(check.undecodable).toBe(0)
    expect(check.lost).toEqual([])
    expect(check.outOfOrderTasks).toEqual([])
  })
})
