// The load on POST /tasks: a closed loop (a fixed number of requests in flight, each sent when the
// previous one answered: the most the API serves) and an open loop (requests sent on a fixed
// schedule whatever the answers, latency counted from the scheduled send time, so a stall shows in
// every request it delayed instead of hiding as one slow request: no coordinated omission).
import { Pool } from 'undici'
import { epochMs } from './clock.ts'

export interface TaskRequestResult {
  /** When the request was due (open loop) or sent (closed loop), epoch ms. */
  readonly scheduledAt: number
  /** When the whole response (201 and body) was read, epoch ms. */
  readonly answeredAt: number
  readonly status: number
  /** The created task's id (201 only). */
  readonly taskId: string | undefined
}

export interface TaskLoadTarget {
  readonly url: URL
  /** The request body of task i of the run. */
  readonly body: (index: number) => unknown
  /** Development-mode bearer user (`Bearer dev.<user>`). */
  readonly user: string
}

export interface LoadRun {
  readonly results: TaskRequestResult[]
  readonly startedAt: number
  readonly endedAt: number
}

async function postTask(pool: Pool, target: TaskLoadTarget, index: number, scheduledAt: number) {
  try {
    const response = await pool.request({
      method: 'POST',
      path: '/tasks',
      headers: { authorization: `Bearer dev.${target.user}`, 'content-type': 'application/json' },
      body: JSON.stringify(target.body(index)),
    })
    const text = await response.body.text()
    const taskId = response.statusCode === 201 ? (JSON.parse(text) as { id: string }).id : undefined
    return { scheduledAt, answeredAt: epochMs(), status: response.statusCode, taskId }
  } catch {
    return { scheduledAt, answeredAt: epochMs(), status: 0, taskId: undefined }
  }
}

/** `concurrency` requests always in flight for `durationMs`; results of requests sent in the window. */
export async function closedLoop(
  target: TaskLoadTarget,
  options: {
    concurrency: number
    durationMs: number
    firstIndex?: number
    onResult?: (result: TaskRequestResult) => void
  },
): Promise<LoadRun> {
  const pool = new Pool(target.url.origin, { connections: options.concurrency, pipelining: 1 })
  const results: TaskRequestResult[] = []
  let next = options.firstIndex ?? 0
  const startedAt = epochMs()
  const stopAt = startedAt + options.durationMs
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (epochMs() < stopAt) {
          const result = await postTask(pool, target, next++, epochMs())
          results.push(result)
          options.onResult?.(result)
        }
      }),
    )
    return { results, startedAt, endedAt: epochMs() }
  } finally {
    await pool.close()
  }
}

/**
 * Request i is due at start + i / rate, sent at the first timer tick at or after that (every overdue
 * one at once); `connections` bounds the sockets, requests beyond wait in the pool's queue, and that
 * wait counts in their latency, as it would for a real caller.
 */
export async function openLoop(
  target: TaskLoadTarget,
  options: {
    ratePerSecond: number
    durationMs: number
    connections: number
    firstIndex?: number
    onResult?: (result: TaskRequestResult) => void
  },
): Promise<LoadRun> {
  const pool = new Pool(target.url.origin, { connections: options.connections, pipelining: 1 })
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000)
  const intervalMs = 1000 / options.ratePerSecond
  const firstIndex = options.firstIndex ?? 0
  const pending: Promise<TaskRequestResult>[] = []
  const startedAt = epochMs()
  try {
    while (pending.length < total) {
      const due = Math.min(total, Math.floor((epochMs() - startedAt) / intervalMs) + 1)
      while (pending.length < due) {
        const index = pending.length
        pending.push(
          postTask(pool, target, firstIndex + index, startedAt + index * intervalMs).then((result) => {
            options.onResult?.(result)
            return result
          }),
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const results = await Promise.all(pending)
    return { results, startedAt, endedAt: epochMs() }
  } finally {
    await pool.close()
  }
}
