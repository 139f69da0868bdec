import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogRecord } from '../../../local/src/eventlog/types.ts'
import {
  backends,
  eventually,
  realServicesAvailable,
  type SystemUnderTest,
  startOnBackend,
} from './local-system.ts'

// Needs: nothing for the embedded default (PGlite + embedded event log); the real broker of the
// integration global setup and the shared PostgreSQL for the second run (skipped locally when absent).

interface Notification {
  kind: string
  taskId: string
  read: boolean
}

interface AuditEntry {
  type: string
  taskId: string
  eventId: string
  actor: string | null
}

const realServices = await realServicesAvailable()

for (const backend of backends) {
  describe.runIf(!backend.real || realServices)(`local system end to end [${backend.name}]`, () => {
    let sut: SystemUnderTest

    beforeAll(async () => {
      sut = await startOnBackend(backend, {
        pingIntervals: { 'reminders-tick': 500 },
        gracePeriodMs: 3_000,
        stableWindowMs: 2_000,
        // A low target so a burst shows scale-out; max stays func.yaml's.
        functionScale: { 'audit-log': { target: 1, utilization: 100 } },
      })
    }, 180_000)
    afterAll(async () => {
      await sut?.stop()
    }, 60_000)

    const createTask = async (user: string, body: Record<string, unknown>) => {
      const response = await sut.request('/tasks', { method: 'POST', user, body })
      expect(response.status).toBe(201)
      return (await response.json()) as { id: string }
    }
    const auditTrail = async (user: string, taskId: string): Promise<AuditEntry[]> => {
      const response = await sut.request(`/tasks/${taskId}/audit`, { user })
      if (response.status !== 200) return []
      return ((await response.json()) as { entries: AuditEntry[] }).entries
    }
    const auditProcesses = () =>
      sut.system.functions
        .get('audit-log')!
        .processes()
        .filter((p) => p.state !== 'exited')

    it('a POSTed task travels API -> outbox -> log -> KafkaSource -> audit-log, readable at /tasks/:id/audit', async () => {
      const task = await createTask('alice', { title: 'write the e2e test', assignee: 'bob' })
      const trail = await eventually(async () => {
        const entries = await auditTrail('alice', task.id)
        return entries.length > 0 ? entries : undefined
      }, 'the audit entry of the new task')
      expect(trail).toMatchObject([{ type: 'dev.taskflow.task.created', taskId: task.id, actor: 'alice' }])
      // The assignee may read it too; a stranger may not.
      expect((await auditTrail('bob', task.id)).length).toBe(1)
      expect((await sut.request(`/tasks/${task.id}/audit`, { user: 'mallory' })).status).toBe(404)
    })

    const notificationsOf = async (user: string): Promise<Notification[]> => {
      const response = await sut.request('/notifications', { user })
      if (response.status !== 200) return []
      return ((await response.json()) as { notifications: Notification[] }).notifications
    }

    it("the assignee's /notifications shows a new task; the creator, who acted, gets nothing", async () => {
      const task = await createTask('alice', { title: 'notify bob', assignee: 'bob' })
      const mine = await eventually(async () => {
        const found = (await notificationsOf('bob')).filter((n) => n.taskId === task.id)
        return found.length > 0 ? found : undefined
      }, "bob's notification")
      expect(mine).toHaveLength(1)
      expect(mine[0]!.read).toBe(false)
      expect((await notificationsOf('alice')).filter((n) => n.taskId === task.id)).toEqual([])
    })

    it('a reminder set 2 s ahead fires on the fast tick and is notified to the assignee', async () => {
      const remindAt = new Date(Date.now() + 2_000).toISOString()
      const task = await createTask('alice', { title: 'remind me', assignee: 'frank', remindAt })
      const reminder = await eventually(
        async () =>
          (await notificationsOf('frank')).find((n) => n.taskId === task.id && n.kind === 'reminder.due'),
        'the reminder notification',
      )
      expect(reminder.taskId).toBe(task.id)
    })

    it("serves each function's recent output for `npm run logs`, and names the functions for an unknown one", async () => {
      const known = await sut.request('/_local/logs/audit-log?after=0')
      expect(known.status).toBe(200)
      const page = (await known.json()) as { lines: unknown[]; next: number }
      expect(Array.isArray(page.lines)).toBe(true)
      expect(page.next).toBeGreaterThanOrEqual(0)
      const unknown = await sut.request('/_local/logs/nope')
      expect(unknown.status).toBe(404)
      expect(((await unknown.json()) as { detail: string }).detail).toContain('audit-log')
    })

    it('a poison record lands on the dead-letter topic with the error extensions while later records flow', async () => {
      const producer = await sut.system.eventLog.producer()
      try {
        await producer.send('task-events', [
          { key: 'poison', value: Buffer.from('not a task event'), headers: { 'x-origin': 'e2e' } },
        ])
      } finally {
        await producer.close()
      }
      const after = await createTask('alice', { title: 'after the poison' })
      await eventually(
        async () => (await auditTrail('alice', after.id)).length === 1,
        'the record after the poison',
      )

      const deadLetters: LogRecord[] = []
      const consumer = sut.system.eventLog.consumer({
        groupId: `e2e-dlq-${randomUUID()}`,
        topics: ['dead-letters'],
        initialOffset: 'earliest',
      })
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        async eachBatch(batch, context) {
          deadLetters.push(...batch.records)
          for (const record of batch.records) context.resolveOffset(record.offset)
        },
      })
      try {
        const header = (record: LogRecord, name: string) => record.headers[name]?.toString()
        const auditDead = await eventually(
          async () =>
            deadLetters.find(
              (r) =>
                header(r, 'ce_type') === 'dev.knative.kafka.event' &&
                header(r, 'ce_knativeerrordest') === sut.system.functions.get('audit-log')!.url,
            ),
          'the poison record on the dead-letter topic',
        )
        expect(header(auditDead, 'ce_knativeerrorcode')).toMatch(/^4\d\d$/)
        expect(header(auditDead, 'ce_knativeerrordata')).toBeTruthy()
        expect(header(auditDead, 'ce_kafkaheaderxorigin')).toBe('e2e')
        expect(auditDead.value?.toString()).toBe('not a task event')
      } finally {
        await consumer.stop()
      }
    })

    it('a burst makes a function run more than one process, never more than its max', async () => {
      let most = 0
      const watch = setInterval(() => {
        most = Math.max(most, auditProcesses().length)
      }, 50)
      try {
        const tasks = await Promise.all(
          Array.from({ length: 120 }, (_, i) => createTask('carol', { title: `burst ${i}` })),
        )
        await eventually(async () => {
          const trails = await Promise.all(tasks.slice(-5).map((task) => auditTrail('carol', task.id)))
          return trails.every((trail) => trail.length === 1)
        }, 'the burst audited')
        await eventually(async () => most > 1, 'more than one audit-log process', 30_000)
      } finally {
        clearInterval(watch)
      }
      expect(most).toBeGreaterThan(1)
      expect(most).toBeLessThanOrEqual(5)
    })

    it('killing a function process mid-delivery loses nothing and duplicates nothing visible', async () => {
      const tasks: { id: string }[] = []
      const writing = (async () => {
        for (let i = 0; i < 40; i++) tasks.push(await createTask('dave', { title: `during the crash ${i}` }))
      })()
      const victim = await eventually(
        async () => auditProcesses().find((p) => p.state === 'ready' && p.inFlight > 0),
        'an audit-log process busy with an event',
      )
      process.kill(victim.pid!, 'SIGKILL')
      await writing
      for (const task of tasks) {
        const trail = await eventually(async () => {
          const entries = await auditTrail('dave', task.id)
          return entries.length > 0 ? entries : undefined
        }, `the audit entry of ${task.id}`)
        expect(trail.map((entry) => entry.type)).toEqual(['dev.taskflow.task.created'])
      }
      expect(sut.system.functions.get('audit-log')!.stats().processesCrashed).toBeGreaterThanOrEqual(1)
    })

    it('a function idle past the grace period has zero processes, and the next event starts one', async () => {
      await eventually(async () => auditProcesses().length === 0, 'audit-log scaled to zero', 60_000)
      const coldStartsBefore = sut.system.functions.get('audit-log')!.coldStarts().length
      const task = await createTask('erin', { title: 'wake up' })
      await eventually(
        async () => (await auditTrail('erin', task.id)).length === 1,
        'the event handled after a cold start',
      )
      expect(sut.system.functions.get('audit-log')!.coldStarts().length).toBeGreaterThan(coldStartsBefore)
    })
  })
}
