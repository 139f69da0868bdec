// Parent side of load-process.ts: starts the POST /tasks load in a child process and follows its counts.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { LoadRun } from './task-load.ts'

export interface LoadCounts {
  readonly ok: number
  readonly failed: number
}

export interface LoadDone extends LoadCounts {
  readonly statuses: Readonly<Record<string, number>>
  readonly elapsedMs: number
  /** Every request's result, when `withResults` was asked for. */
  readonly run?: LoadRun
}

/** Task i's body: `fields` with the title `${titlePrefix} ${i}`. */
export interface LoadBody {
  readonly titlePrefix: string
  readonly fields: Readonly<Record<string, unknown>>
}

/** What load-process.ts is told to do (one message, plain data). */
export interface LoadRequest {
  readonly url: string
  readonly user: string
  readonly body: LoadBody
  readonly concurrency: number
  readonly durationMs: number
  readonly ratePerSecond: number | undefined
  readonly firstIndex: number
  readonly withResults: boolean
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
  body: LoadBody
  /** Development-mode bearer user (default alice). */
  user?: string
  /** Closed loop: requests in flight; open loop: connections. */
  concurrency: number
  durationMs: number
  /** Open loop at this many POSTs per second (unset: closed loop). */
  ratePerSecond?: number
  /** Index of the first task (titles stay unique across loops of one run). */
  firstIndex?: number
  /** Send back every request's result (scheduled, answered, status, task id) with the summary. */
  withResults?: boolean
}): TaskLoadProcess {
  // A small young generation for the client: with V8's default (grown to 32 MB semi-spaces under this
  // load) its scavenges paused it for 5-30 ms, every pause charged to the requests due meanwhile as if
  // the API were late; with 1 MB they last ~1 ms (p90 1.3 ms, max 8 ms, measured against a no-op server).
  const child = fork(new URL('./load-process.ts', import.meta.url), [], {
    stdio: 'inherit',
    execArgv: [...process.execArgv, '--max-semi-space-size=1'],
  })
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
    user: options.user ?? 'alice',
    body: options.body,
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    ratePerSecond: options.ratePerSecond,
    firstIndex: options.firstIndex ?? 0,
    withResults: options.withResults ?? false,
  } satisfies LoadRequest)
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
