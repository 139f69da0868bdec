// Scenario 1: the Kafka broker is killed (SIGKILL, no controlled shutdown) and restarted while tasks are
// being created and their events flow through the KafkaSources to the three functions.
// Needs: java + mvn (a broker of the scenario's own, so it can be killed) and PostgreSQL.
import { describe, expect, it } from 'vitest'
import { assignedTask, assignees, useFaultSystem } from './support/fault-system.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'
import { deliveryCounts, postTasks, settledEffects, taskFigures } from './support/task-traffic.ts'

const ready = await scenarioServicesAvailable()

const taskCount = 10_000
const killAfter = 2_500

describe.runIf(ready)('scenario 1: broker SIGKILLed and restarted mid-stream', () => {
  const faultSystem = useFaultSystem({ webhookUsers: assignees })

  it(`${taskCount} tasks: every event reaches every function once, no notification twice`, {
    timeout: 900_000,
  }, async () => {
    const system = faultSystem()
    const started = Date.now()
    let outage: Promise<{ killedAt: number; backAt: number }> | undefined
    const posted = await postTasks(system.sut, {
      count: taskCount,
      concurrency: 16,
      actor: 'alice',
      task: assignedTask,
      onPosted: (count) => {
        if (count !== killAfter) return
        outage = (async () => {
          const killedAt = Date.now()
          await system.kafka.killNode(0)
          await system.kafka.startNode(0)
          return { killedAt, backAt: Date.now() }
        })()
      },
    })
    const { killedAt, backAt } = await outage!
    expect(posted.refused).toEqual([])
    expect(posted.ids).toHaveLength(taskCount)

    const effects = await settledEffects(system, posted.ids)
    recordScenario({
      id: '1-broker-restart',
      title: 'Broker SIGKILLed and restarted mid-stream (10,000 tasks, 3 functions)',
      ...taskFigures(effects, posted.ids.length),
      details: {
        'broker down (ms)': backAt - killedAt,
        'webhook re-sends': effects.webhookRepeats,
        ...(await deliveryCounts(system.sut, taskCount)),
      },
      durationMs: Date.now() - started,
    })
    expect(effects.auditRows).toBe(taskCount)
    expect(effects.auditedTasks).toBe(taskCount)
    expect(effects.notificationRows).toBe(taskCount)
    expect(effects.duplicateNotifications).toBe(0)
    expect(effects.webhookRequests).toBe(taskCount)
    expect(effects.webhookNotifications).toBe(taskCount)
    expect(effects.scheduledTasks).toBe(taskCount)
  })
})
