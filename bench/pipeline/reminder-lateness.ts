// Reminder lateness with the PingSource as it ships (cron `* * * * *`, one tick a minute): tasks whose
// remindAt is spread evenly over the next two minutes, then the time each one's reminder.due
// notification was stored against its remindAt (the user's view: tick, reminder.due on Kafka,
// notification-fanout), read from the run database.
import pg from 'pg'
import { percentile } from '../src/harness/stats.ts'
import { postTask } from './post-task.ts'

export interface ReminderLateness {
  readonly tasks: number
  /** Tasks whose reminder was notified before the wait ended. */
  readonly notified: number
  /** Seconds from remindAt to the notification (negative: before remindAt, within the tick's lead). */
  readonly minS: number
  readonly p50S: number
  readonly p99S: number
  readonly maxS: number
  /** [percentile, seconds] points of the distance from remindAt (either side), for a chart. */
  readonly curve: readonly (readonly [number, number])[]
}

const curvePercentiles = [0, 10, 25, 50, 75, 90, 95, 99, 100]

export async function measureReminderLateness(options: {
  apiUrl: string
  databaseUrl: string
  tasks: number
  /** remindAt spread over this window, from a few seconds ahead. */
  spreadMs: number
  /** How long to wait after the last remindAt for ticks to fire (more than one tick interval). */
  waitAfterMs: number
  onProgress?: () => void
}): Promise<ReminderLateness> {
  const start = Date.now() + 5_000
  const ids: string[] = []
  for (let index = 0; index < options.tasks; index++) {
    const remindAt = new Date(start + (index * options.spreadMs) / options.tasks)
    const id = await postTask(options.apiUrl, {
      title: `reminder lateness ${index}`,
      assignee: 'bob',
      dueAt: new Date(remindAt.getTime() + 3_600_000).toISOString(),
      remindAt: remindAt.toISOString(),
    })
    ids.push(id)
  }
  const waitUntil = start + options.spreadMs + options.waitAfterMs
  while (Date.now() < waitUntil) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, waitUntil - Date.now())))
    options.onProgress?.()
  }

  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'taskflow-bench-reminders',
  })
  await client.connect()
  try {
    const { rows } = await client.query<{ seconds: string }>(
      `select extract(epoch from (min(n.created_at) - t.remind_at)) as seconds
       from tasks.tasks t join notifications.notifications n on n.task_id = t.id and n.kind = 'reminder.due'
       where t.id = any($1::uuid[]) group by t.id, t.remind_at`,
      [ids],
    )
    const samples = rows.map((row) => Number(row.seconds))
    return {
      tasks: ids.length,
      notified: samples.length,
      minS: percentile(samples, 0),
      p50S: percentile(samples, 50),
      p99S: percentile(samples, 99),
      maxS: percentile(samples, 100),
      curve: curvePercentiles.map((p) => [p, percentile(samples.map(Math.abs), p)] as const),
    }
  } finally {
    await client.end()
  }
}
