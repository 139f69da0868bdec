// Scenario 7: consumers join and leave each KafkaSource's consumer group while events flow, as KEDA
// scaling a KafkaSource's dispatchers out and in does. Partitions move between members; records not yet
// committed by the member that gave a partition up are delivered again by the one that takes it.
// Needs: java + mvn (a broker of the scenario's own) and PostgreSQL.
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { type KafkaSourceDispatcher, startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import { assignedTask, assignees, useFaultSystem } from './support/fault-system.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'
import { deliveryCounts, postTasks, settledEffects, taskFigures } from './support/task-traffic.ts'

const ready = await scenarioServicesAvailable()

const taskCount = 3_000

describe.runIf(ready)('scenario 7: consumers added and removed under load', () => {
  const faultSystem = useFaultSystem({ webhookUsers: assignees })

  it('at-least-once across every membership change, and no duplicate effect', async () => {
    const system = faultSystem()
    const started = Date.now()
    const sut = system.sut.system
    const extra: KafkaSourceDispatcher[] = []
    let changes = 0
    const addMembers = async () => {
      for (const source of sut.sources) {
        extra.push(
          await startKafkaSource({
            spec: source.spec,
            // Another replica of the same source: it sends as that source.
            ...(source.identity ? { identity: source.identity } : {}),
            log: sut.eventLog,
            logger: pino({ level: 'silent' }),
            commitIntervalMs: 500,
          }),
        )
      }
      changes++
    }
    const extraDeliveries: Record<string, { delivered: number; retried: number }> = {}
    const removeMembers = async () => {
      if (extra.length === 0) return
      await Promise.all(
        extra.splice(0).map(async (member) => {
          await member.stop()
          const name = member.spec.name
          const before = extraDeliveries[name] ?? { delivered: 0, retried: 0 }
          extraDeliveries[name] = {
            delivered: before.delivered + member.stats().delivered,
            retried: before.retried + member.stats().retried,
          }
        }),
      )
      changes++
    }
    // Membership changes at fixed points of the load: join, leave, join again, leave again.
    const plan = new Map([
      [400, addMembers],
      [1_200, removeMembers],
      [1_800, addMembers],
      [2_600, removeMembers],
    ])
    // One change at a time, in plan order, however long a join takes.
    let changing = Promise.resolve()
    const posted = await postTasks(system.sut, {
      count: taskCount,
      concurrency: 8,
      actor: 'alice',
      task: assignedTask,
      onPosted: (count) => {
        const change = plan.get(count)
        if (change) changing = changing.then(change)
      },
    })
    await changing
    await removeMembers()
    expect(posted.refused).toEqual([])

    const effects = await settledEffects(system, posted.ids)
    recordScenario({
      id: '7-rebalance',
      title: 'A member added to and removed from each KafkaSource group, twice, under load (3,000 tasks)',
      ...taskFigures(effects, posted.ids.length),
      details: {
        'membership changes': changes,
        'webhook re-sends': effects.webhookRepeats,
        ...(await deliveryCounts(system.sut, taskCount, extraDeliveries)),
      },
      durationMs: Date.now() - started,
    })
    expect(effects.auditRows).toBe(taskCount)
    expect(effects.notificationRows).toBe(taskCount)
    expect(effects.duplicateNotifications).toBe(0)
    expect(effects.webhookNotifications).toBe(taskCount)
    expect(effects.scheduledTasks).toBe(taskCount)
  })
})
