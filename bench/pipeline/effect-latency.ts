// POST -> effect latency per function, read from the run database after the load: each task's
// created_at (set by the Task API when it accepts the POST) against the time its effect was written
// (the audit row's recorded_at, the notification's created_at, the reminder row's updated_at). One
// machine, one clock; no probe in the path.
import pg from 'pg'
import { percentile } from '../src/harness/stats.ts'

/** The effect each function leaves per task, with the column that dates it. */
const effects = {
  'audit-log': `select extract(epoch from (e.recorded_at - t.created_at)) * 1000 as ms
    from tasks.tasks t join audit.entries e on e.task_id = t.id and e.event_type = 'dev.taskflow.task.created'
    where t.created_at >= $1 and t.created_at < $2`,
  'notification-fanout': `select extract(epoch from (n.created_at - t.created_at)) * 1000 as ms
    from tasks.tasks t join notifications.notifications n on n.task_id = t.id
    where t.created_at >= $1 and t.created_at < $2`,
  reminders: `select extract(epoch from (r.updated_at - t.created_at)) * 1000 as ms
    from tasks.tasks t join reminders.reminders r on r.task_id = t.id
    where t.created_at >= $1 and t.created_at < $2`,
} as const

export type EffectFunction = keyof typeof effects

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

/** Latencies of the tasks created in [from, to). */
export async function readEffectLatencies(
  databaseUrl: string,
  window: { from: Date; to: Date },
): Promise<{ tasks: number; latencies: EffectLatency[] }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'taskflow-bench-latency' })
  await client.connect()
  try {
    const range = [window.from, window.to]
    const counted = await client.query<{ n: number }>(
      'select count(*)::int as n from tasks.tasks where created_at >= $1 and created_at < $2',
      range,
    )
    const latencies: EffectLatency[] = []
    for (const [name, text] of Object.entries(effects) as [EffectFunction, string][]) {
      const rows = (await client.query<{ ms: string }>(text, range)).rows
      const samples = rows.map((row) => Number(row.ms))
      latencies.push({
        name,
        effects: samples.length,
        p50Ms: percentile(samples, 50),
        p90Ms: percentile(samples, 90),
        p99Ms: percentile(samples, 99),
        maxMs: percentile(samples, 100),
        curve: curvePercentiles.map((p) => [p, percentile(samples, p)] as const),
      })
    }
    return { tasks: counted.rows[0]?.n ?? 0, latencies }
  } finally {
    await client.end()
  }
}
