// The Task API under test, started in a child process (api-process.ts) with the environment given, so
// the measuring client never shares its event loop; CPU time and event-loop utilization on request.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { Registry } from 'prom-client'

/** prom-client's getMetricsAsJSON(), as it crosses the IPC channel (histogram values carry metricName). */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>

export interface ApiProcess {
  readonly url: URL
  readonly pid: number
  /** CPU time (user + system) of the API process so far, in ms. */
  cpuMs(): Promise<number>
  /** Event-loop utilization (0..1) since the previous call (or the start). */
  eventLoopUtilization(): Promise<number>
  /** The API's Prometheus registry as JSON (prom-client's getMetricsAsJSON). */
  metrics(): Promise<MetricsSnapshot>
  /** Event-loop delay and GC pauses of the API's thread since the previous call. */
  stalls(): Promise<ApiStalls>
  close(): Promise<void>
}

export interface ApiStalls {
  readonly loopDelayP50Ms: number
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
  readonly gcPauses: number
  readonly gcPauseTotalMs: number
  readonly gcPauseMaxMs: number
}

type ChildMessage =
  | { kind: 'listening'; url: string }
  | { kind: 'failed'; message: string }
  | { kind: 'cpu'; ms: number }
  | { kind: 'elu'; utilization: number }
  | { kind: 'metrics'; metrics: MetricsSnapshot }
  | ({ kind: 'stalls' } & ApiStalls)

export class ApiProcessError extends Error {
  override readonly name = 'ApiProcessError'
}

export async function startApiProcess(
  env: Record<string, string>,
  options: { execArgv?: readonly string[] } = {},
): Promise<ApiProcess> {
  const child = fork(new URL('./api-process.ts', import.meta.url), [], {
    stdio: 'inherit',
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
  })
  const exited = once(child, 'exit')
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(new ApiProcessError(`the API process exited with ${code} before listening`)),
    )
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'listening') resolve(message.url)
      if (message.kind === 'failed') reject(new ApiProcessError(`the API did not start: ${message.message}`))
    })
    child.send({ kind: 'start', env })
  })
  const ask = <K extends 'cpu' | 'elu' | 'metrics' | 'stalls'>(kind: K) =>
    new Promise<Extract<ChildMessage, { kind: K }>>((resolve) => {
      const onMessage = (message: ChildMessage) => {
        if (message.kind !== kind) return
        child.off('message', onMessage)
        resolve(message as Extract<ChildMessage, { kind: K }>)
      }
      child.on('message', onMessage)
      child.send({ kind })
    })
  return {
    url: new URL(url),
    pid: child.pid!,
    cpuMs: async () => (await ask('cpu')).ms,
    eventLoopUtilization: async () => (await ask('elu')).utilization,
    metrics: async () => (await ask('metrics')).metrics,
    async stalls() {
      const { kind: _, ...stalls } = await ask('stalls')
      return stalls
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}
