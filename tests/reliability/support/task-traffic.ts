// Traffic for the fault scenarios and the count of what it caused, read where users would see it: the
// audit trail, the in-app notifications, the webhook receiver and the reminder schedule.
import type pg from 'pg'
import type { SystemUnderTest } from '../../integration/e2e/local-system.ts'
import { eventually } from '../../support/eventually.ts'
import type { RecordingSink } from '../../support/recording-sink.ts'

export interface PostedTasks {
  /** Ids of the tasks the API answered 201 for, in the order the answers came. */
  readonly ids: string[]
  /** Answers other than 201 (a scenario decides whether any is allowed). */
  readonly refused: { status: number; body: string }[]
}

/**
 * POSTs `count` tasks as `actor` with `concurrency` requests in flight; `task(i)` gives the body of
 * the i-th. `onPosted` sees the running count of 201s (a scenario injects its fault from there).
 */
export async function postTasks(
  sut: SystemUnderTest,
  options: {
    count: number
    concurrency: number
    actor: string
    task: (i: number) => Record<string, unknown>
    onPosted?: (posted: number) => void
  },
): Promise<PostedTasks> {
  const posted: PostedTasks = { ids: [], refused: [] }
  let next = 0
  const worker = async () => {
    while (next < options.count) {
      const i = next++
      const response = await sut.request('/tasks', {
        method: 'POST',
        user: options.actor,
        body: options.task(i),
      })
      if (response.status === 201) {
        posted.ids.push(((await response.json()) as { id: string }).id)
        options.onPosted?.(posted.ids.length)
      } else {
        posted.refused.push({ status: response.status, body: await response.text() })
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return posted
}

export interface TaskEffects {
  /** Audit rows of the tasks (one per task event). */
  readonly auditRows: number
  /** Tasks with at least one audit row. */
  readonly auditedTasks: number
  /** In-app notification rows of the tasks, and how many (cause event, recipient) pairs had more than one. */
  readonly notificationRows: number
  readonly notifiedTasks: number
  readonly duplicateNotifications: number
  /** Reminder schedule rows of the tasks (the reminders function keeps one per task). */
  readonly scheduledTasks: number
  /** Webhook requests about the tasks, the distinct notifications among them, and repeats of one. */
  readonly webhookRequests: number
  readonly webhookNotifications: number
  readonly webhookRepeats: number
}

/** Counts what the tasks caused, in the functions' own tables and at the webhook receiver. */
export async function effectsOf(
  sql: pg.Pool,
  webhooks: RecordingSink,
  taskIds: readonly string[],
): Promise<TaskEffects> {
  const one = async (text: string) => {
    const result = await sql.query<{ n: string; m: string }>(text, [taskIds])
    return { n: Number(result.rows[0]?.n ?? 0), m: Number(result.rows[0]?.m ?? 0) }
  }
  const audit = await one(
    'select count(*) as n, count(distinct task_id) as m from audit.entries where task_id = any($1::uuid[])',
  )
  const notifications = await one(
    'select count(*) as n, count(distinct task_id) as m from notifications.notifications where task_id = any($1::uuid[])',
  )
  const duplicates = await one(`select count(*) as n, 0 as m from (
      select 1 from notifications.notifications where task_id = any($1::uuid[])
      group by cause_event_source, cause_event_id, recipient having count(*) > 1) as repeated`)
  const reminders = await one(
    'select count(*) as n, 0 as m from reminders.reminders where task_id = any($1::uuid[])',
  )

  const wanted = new Set(taskIds)
  const perNotification = new Map<string, number>()
  let webhookRequests = 0
  for (const request of webhooks.requests) {
    const body = JSON.parse(request.body) as { notificationId: string; taskId: string }
    if (!wanted.has(body.taskId)) continue
    webhookRequests++
    perNotification.set(body.notificationId, (perNotification.get(body.notificationId) ?? 0) + 1)
  }
  return {
    auditRows: audit.n,
    auditedTasks: audit.m,
    notificationRows: notifications.n,
    notifiedTasks: notifications.m,
    duplicateNotifications: duplicates.n,
    scheduledTasks: reminders.n,
    webhookRequests,
    webhookNotifications: perNotification.size,
    webhookRepeats: webhookRequests - perNotification.size,
  }
}

/**
 * Waits until every task was audited, notified (in-app and by webhook) and scheduled, then until every
 * KafkaSource has no lag and nothing in flight (so late redeliveries have arrived), and counts again.
 */
export async function settledEffects(
  system: { sut: SystemUnderTest; sql: pg.Pool; webhooks: RecordingSink },
  taskIds: readonly string[],
  timeoutMs = 600_000,
): Promise<TaskEffects> {
  const n = taskIds.length
  let last: TaskEffects | undefined
  const waitFor = (probe: () => Promise<boolean>, what: string) =>
    // Errors are retried: a function creates its tables on its first start, which may come later.
    eventually(probe, what, { timeoutMs, intervalMs: 1_000, retryErrors: true }).catch(
      async (error: unknown) => {
        // Say how far it got: a slow system and a stuck one look different here.
        const { sources } = await system.sut.system.status()
        const progress = sources.map(
          (s) => `${s.name}: lag ${s.lag}, in flight ${s.inFlight}, delivered ${s.delivered}`,
        )
        throw new Error(`${String(error)}; counted ${JSON.stringify(last)}; ${progress.join('; ')}`)
      },
    )
  await waitFor(async () => {
    last = await effectsOf(system.sql, system.webhooks, taskIds)
    return (
      last.auditedTasks === n &&
      last.notifiedTasks === n &&
      last.scheduledTasks === n &&
      last.webhookNotifications === n
    )
  }, `all ${n} tasks audited, notified (in-app and webhook) and scheduled`)
  await waitFor(async () => {
    const status = await system.sut.system.status()
    return status.sources.every((source) => source.lag === 0 && source.inFlight === 0)
  }, 'every KafkaSource caught up')
  return effectsOf(system.sql, system.webhooks, taskIds)
}

/** The scenario table's terms for task traffic: delivered to every destination, seen twice, lost. */
export function taskFigures(effects: TaskEffects, sent: number) {
  const delivered = Math.min(
    effects.auditedTasks,
    effects.notifiedTasks,
    effects.scheduledTasks,
    effects.webhookNotifications,
  )
  return {
    sent,
    delivered,
    // A webhook re-sent with the same notification id is reported apart: receivers that follow the
    // documented verification drop a repeated id (functions/notification-fanout/README.md).
    duplicatesSeenByUsers: effects.auditRows - effects.auditedTasks + effects.duplicateNotifications,
    lost: sent - delivered,
  }
}

/**
 * What the KafkaSources did beyond one delivery per event, per source (`audit-log 0 / 12`): events
 * delivered again after a successful delivery (redeliveries the functions' inboxes absorbed) and
 * attempts retried after a failure.
 */
export async function deliveryCounts(
  sut: SystemUnderTest,
  events: number,
  /** Deliveries and retries of group members the scenario started and stopped itself, by source. */
  otherMembers: Readonly<Record<string, { delivered: number; retried: number }>> = {},
): Promise<Record<string, string>> {
  const { sources } = await sut.system.status()
  const describe = (name: string, delivered: number, retried: number) => {
    const other = otherMembers[name] ?? { delivered: 0, retried: 0 }
    return `${name} ${delivered + other.delivered - events} / ${retried + other.retried}`
  }
  return {
    'redelivered / retried': sources
      .map((source) => describe(source.name, source.delivered, source.retried))
      .join(', '),
  }
}
