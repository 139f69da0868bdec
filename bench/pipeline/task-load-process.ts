// Parent side of load-process.ts: starts the closed-loop load in a child process and follows its counts.
import { fork } from 'node:child_process'
import { once } from 'node:events'

export interface LoadCounts {
  readonly ok: number
  readonly failed: number
}

export interface LoadDone extends LoadCounts {
  readonly statuses: Readonly<Record<string, number>>
  readonly elapsedMs: number
}

export interface TaskLoadProcess {
  readonly pid: number
  /** Counts of the latest report (every second). */
  counts(): LoadCounts
  readonly done: Promise<LoadDone>
  close(): Promise<void>
}

type ChildMessage =
  | ({ kind: 'progress' } & LoadCounts)
  | ({ kind: 'done' } & LoadDone)
  | { kind: 'failed'; message: string }

export function startTaskLoadProcess(options: {
  url: URL
  /** Closed loop: requests in flight; open loop: connections. */
  concurrency: number
  durationMs: number
  /** Open loop at this many POSTs per second (unset: closed loop). */
  ratePerSecond?: number
}): TaskLoadProcess {
  const child = fork(new URL('./load-process.ts', import.meta.url), [], { stdio: 'inherit' })
  const exited = once(child, 'exit')
  let counts: LoadCounts = { ok: 0, failed: 0 }
  const done = new Promise<LoadDone>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the load process exited with ${code} before it finished`)))
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'progress') counts = { ok: message.ok, failed: message.failed }
      if (message.kind === 'done') {
        counts = { ok: message.ok, failed: message.failed }
        resolve(message)
      }
      if (message.kind === 'failed') reject(new Error(`the load process failed: ${message.message}`))
    })
  })
  // Followed through done; an early rejection must not be unhandled while the caller samples.
  done.catch(() => {})
  child.send({
    url: options.url.href,
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    ratePerSecond: options.ratePerSecond,
  })
  return {
    pid: child.pid!,
    counts: () => counts,
    done,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}
