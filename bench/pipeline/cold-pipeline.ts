// The first event after everything scaled to zero, end to end: a local system whose functions scale to
// zero after a short grace, and rounds of one task each, posted once every function has no process
// left. POST -> effect per function is read from the run database as in the paced phase.
import pg from 'pg'
import { pino } from 'pino'
import type { LocalSystemConfig } from '../../local/src/config.ts'
import { startLocalSystem } from '../../local/src/system.ts'
import { type EffectLatency, readEffectLatencies, readTaskEffects } from './effect-latency.ts'
import { postTask } from './post-task.ts'

// Short, so a round waits seconds for zero, not Knative's 30 s + 60 s stable window.
const coldGracePeriodMs = 1_000
const coldStableWindowMs = 2_000
const zeroDeadlineMs = 60_000
const effectDeadlineMs = 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface ColdPipeline {
  readonly rounds: number
  readonly latencies: readonly EffectLatency[]
  /** Per round, the slowest of the three effects (the task is done with when its last effect is). */
  readonly slowestP50Ms: number
  readonly slowestMaxMs: number
}

export async function measureColdPipeline(options: {
  config: LocalSystemConfig
  databaseUrl: string
  rounds: number
  onRound?: () => void
}): Promise<ColdPipeline> {
  const system = await startLocalSystem(options.config, pino({ level: 'error' }), {
    gracePeriodMs: coldGracePeriodMs,
    stableWindowMs: coldStableWindowMs,
  })
  const from = new Date()
  const slowest: number[] = []
  try {
    for (let round = 0; round < options.rounds; round++) {
      await untilEveryFunctionAtZero(system)
      const dueAt = new Date(Date.now() + 2 * 24 * 3600_000).toISOString()
      const id = await postTask(system.api.url, {
        title: `cold ${round}`,
        assignee: 'bob',
        dueAt,
        remindMinutesBefore: 60,
      })
      const effects = await untilEffects(options.databaseUrl, id)
      slowest.push(Math.max(...effects))
      options.onRound?.()
    }
  } finally {
    await system.stop()
  }
  const { latencies } = await readEffectLatencies(options.databaseUrl, { from, to: new Date() })
  const sorted = [...slowest].sort((a, b) => a - b)
  return {
    rounds: options.rounds,
    latencies,
    slowestP50Ms: sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN,
    slowestMaxMs: sorted.at(-1) ?? Number.NaN,
  }
}

async function untilEveryFunctionAtZero(system: Awaited<ReturnType<typeof startLocalSystem>>) {
  const deadline = Date.now() + zeroDeadlineMs
  for (;;) {
    const { functions } = await system.status()
    if (functions.every((fn) => fn.processes === 0)) return
    if (Date.now() > deadline) throw new Error('the functions did not scale to zero in 60 s')
    await sleep(100)
  }
}

/** Waits for the task's three effects; returns their latencies from its created_at, in ms. */
async function untilEffects(databaseUrl: string, taskId: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'taskflow-bench-cold' })
  await client.connect()
  try {
    const deadline = Date.now() + effectDeadlineMs
    for (;;) {
      const effects = Object.values(await readTaskEffects(client, taskId))
      if (effects.every((ms) => ms !== null)) return effects as number[]
      if (Date.now() > deadline)
        throw new Error(`task ${taskId}: not every effect within 60 s of a cold start`)
      await sleep(20)
    }
  } finally {
    await client.end()
  }
}
