// POST -> effect latency per function, read from the run database after the load: each task's
// created_at (set by the Task API when it accepts the POST) against the time its effect was written
// (the audit row's recorded_at, the notification's created_at, the reminder row's updated_at). One
// machine, one clock; no probe in the path.
import pg from 'pg'
import { percentile } from '../src/harness/stats.ts'

/** The effect each function leaves per task: each task's rows and the time the effect was written. */
const effectTimes = {
  'audit-log': `select task_id, min(recorded_at) as at from audit.entries
    where event_type = 'dev.taskflow.task.created' group by task_id`,
  'notification-fanout':
    'select task_id, min(created_at) as at from notifications.notifications group by task_id',
  reminders: 'select task_id, updated_at as at from reminders.reminders',
} as const

/** Per task (`t`), ms from its created_at to each effect (null: not written yet), a column each. */
const effectsOfTasks = (() => {
  const effects = Object.entries(effectTimes)
  const columns = effects.map(
    ([name], i) => `extract(epoch from (e${i}.at - t.created_at)) * 1000 as "${name}"`,
  )
  const joins = effects.map(([, times], i) => `left join (${times}) e${i} on e${i}.task_id = t.id`)
  return `select ${columns.join(', ')} from tasks.tasks t ${joins.join(' ')}`
})()

export type EffectFunction = keyof typeof effectTimes

export interface EffectLatency {
  readonly name: EffectFunction
  /** Tasks created in the window that have the effect. */
  readonly effects: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** [percentile, ms] points of the distribution, for a chart. */
  readonly curve: readonly (readonly [number, number])[]
}

const curvePercentiles = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]

/** One task's effects so far, in ms from its created_at (null: not written yet). */
export async function readTaskEffects(
  client: pg.Client,
  taskId: string,
): Promise<Record<EffectFunction, number | null>> {
  const { rows } = await client.query<Record<EffectFunction, string | null>>(
    `${effectsOfTasks} where t.id = $1`,
    [taskId],
  )
  const row = rows[0]
  return Object.fromEntries(
    (Object.keys(effectTimes) as EffectFunction[]).map((name) => [
      name,
      row?.[name] == null ? null : Number(row[name]),
    ]),
  ) as Record<EffectFunction, number | null>
}

/** Latencies of the tasks created in [from, to). */
export async function readEffectLatencies(
  databaseUrl: string,
  window: { from: Date; to: Date },
): Promise<{ tasks: number; latencies: EffectLatency[] }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'taskflow-bench-latency' })
  await client.connect()
  try {
    const range = [window.from, window.to]
    const { rows } = await client.query<Record<EffectFunction, string | null>>(
      `${effectsOfTasks} where t.created_at >= $1 and t.created_at < $2`,
      range,
    )
    const latencies = (Object.keys(effectTimes) as EffectFunction[]).map((name): EffectLatency => {
      const samples = rows.flatMap((row) => (row[name] === null ? [] : [Number(row[name])]))
      return {
        name,
        effects: samples.length,
        p50Ms: percentile(samples, 50),
        p90Ms: percentile(samples, 90),
        p99Ms: percentile(samples, 99),
        maxMs: percentile(samples, 100),
        curve: curvePercentiles.map((p) => [p, percentile(samples, p)] as const),
      }
    })
    return { tasks: rows.length, latencies }
  } finally {
    await client.end()
  }
}
