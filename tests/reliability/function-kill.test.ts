// Scenario 2: function processes are killed (SIGKILL) while they hold deliveries: the KafkaSource sees
// the request fail and redelivers, and each function's inbox keeps the redelivery from a second effect.
// Needs: java + mvn (a broker of the scenario's own) and PostgreSQL.
import { describe, expect, it } from 'vitest'
import { assignedTask, assignees, useFaultSystem } from './support/fault-system.ts'
import { scenarioServicesAvailable } from './support/gates.ts'
import { recordScenario } from './support/scenario-report.ts'
import { deliveryCounts, postTasks, settledEffects, taskFigures } from './support/task-traffic.ts'

const ready = await scenarioServicesAvailable()

const taskCount = 2_000
const killsPerFunction = 3

describe.runIf(ready)('scenario 2: function processes SIGKILLed mid-delivery', () => {
  const faultSystem = useFaultSystem({ webhookUsers: assignees })

  it('every killed delivery is redelivered: nothing lost, no second effect', async () => {
    const system = faultSystem()
    const started = Date.now()
    const functions = [...system.sut.system.functions.values()]
    const kills = new Map(functions.map((host) => [host.name, 0]))
    // Kill a process of each function that is busy with a delivery, a few times over the run.
    const killer = setInterval(() => {
      for (const host of functions) {
        if (kills.get(host.name)! >= killsPerFunction) continue
        const victim = host.processes().find((p) => p.state === 'ready' && p.inFlight > 0 && p.pid)
        if (!victim) continue
        process.kill(victim.pid!, 'SIGKILL')
        kills.set(host.name, kills.get(host.name)! + 1)
      }
    }, 700)
    let posted: Awaited<ReturnType<typeof postTasks>>
    try {
      posted = await postTasks(system.sut, {
        count: taskCount,
        concurrency: 8,
        actor: 'alice',
        task: assignedTask,
      })
    } finally {
      clearInterval(killer)
    }
    expect(posted.refused).toEqual([])

    const effects = await settledEffects(system, posted.ids)
    const crashed = Object.fromEntries(functions.map((host) => [`${host.name} kills`, kills.get(host.name)!]))
    const lostRequests = functions.reduce((sum, host) => sum + host.stats().proxyErrors, 0)
    recordScenario({
      id: '2-function-kill',
      title: `Function processes SIGKILLed mid-delivery (${killsPerFunction} per function, 2,000 tasks)`,
      ...taskFigures(effects, posted.ids.length),
      details: {
        ...crashed,
        'deliveries cut by a kill': lostRequests,
        'webhook re-sends': effects.webhookRepeats,
        ...(await deliveryCounts(system.sut, taskCount)),
      },
      durationMs: Date.now() - started,
    })
    for (const host of functions) {
      expect(kills.get(host.name), `${host.name} was killed mid-delivery`).toBeGreaterThan(0)
      expect(host.stats().processesCrashed).toBeGreaterThanOrEqual(kills.get(host.name)!)
    }
    expect(effects.auditRows).toBe(taskCount)
    expect(effects.notificationRows).toBe(taskCount)
    expect(effects.duplicateNotifications).toBe(0)
    expect(effects.webhookNotifications).toBe(taskCount)
    expect(effects.scheduledTasks).toBe(taskCount)
  })
})
