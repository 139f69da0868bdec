// The local Knative Serving of one function: an activator URL in front of 0..max function processes,
// scaled by the KPA decision (kpa.ts) as Knative Serving would scale the function's pods.
// - Scale to zero: no process until the first request; that request (and every one arriving during the
//   cold start) is buffered, as Knative's activator holds requests while a revision is at zero.
// - Each request goes to the ready process with the fewest in flight, never past containerConcurrency.
// - Every tick the time-weighted in-flight average (buffered requests included, as the activator reports
//   them) feeds the KPA; processes are started up to the desired count (at most max-scale) and surplus
//   ones drained, then stopped. The last one goes after a stable window plus the grace period idle.
// - A process that dies is replaced at once (the ReplicaSet recreating the pod); its in-flight requests
//   get 502, which the KafkaSource dispatcher retries, as Knative's queue-proxy answers for a dead container.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { forwardedHeaders, readBody, writeProblem } from './activator-http.ts'
import { type ActivatorReply, httpReply, type InProcessAnswer, inProcessReply } from './activator-reply.ts'
import { ConcurrencyMeter } from './concurrency-meter.ts'
import { buildFunctionOnce } from './function-build.ts'
import { FunctionProcess, type FunctionProcessState } from './function-process.ts'
import { type FunctionScale, readFunctionSpec } from './function-spec.ts'
import {
  type ConcurrencySample,
  decideScale,
  initialKpaState,
  type KpaSettings,
  knativeKpaDefaults,
  pruneSamples,
} from './kpa.ts'
import type { OutputLine } from './output-prefix.ts'
import { type BufferRejection, RequestBuffer } from './request-buffer.ts'

export interface FunctionHostOptions {
  /** The Knative Service name (K_SERVICE); also the prefix of the processes' output. */
  readonly name: string
  /** The function folder (func.yaml, package.json, build/). */
  readonly dir: string
  /** Overrides of func.yaml's `deploy.options.scale`. */
  readonly scale?: Partial<FunctionScale>
  /** Overrides func.yaml's `deploy.options.resources.limits.concurrency` (0 = unlimited). */
  readonly containerConcurrency?: number
  /** The function's environment (K_SINK, DATABASE_URL ...), on top of func.yaml's literal `run.envs`. */
  readonly env?: Readonly<Record<string, string>>
  /** Knative's global `scale-to-zero-grace-period`. Default 30 s. */
  readonly gracePeriodMs?: number
  /** `autoscaling.knative.dev/window`. Default 10 s locally (Knative: 60 s). */
  readonly stableWindowMs?: number
  readonly panicWindowPercentage?: number
  readonly panicThresholdPercentage?: number
  readonly scaleDownDelayMs?: number
  /** How often the KPA decides. Default 2 s, Knative's tick. */
  readonly tickMs?: number
  /** Skip `npm run build` (build/ is already there). */
  readonly prebuilt?: boolean
  /** The built module, relative to `dir`. Default `build/index.js`. */
  readonly entry?: string
  /** Port of the activator URL; default a free one. */
  readonly port?: number
  /** Requests the activator may hold while no process can take them. Default 10,000. */
  readonly maxBufferedRequests?: number
  /** How long a buffered request may wait before it is answered 503. Default 60 s. */
  readonly bufferTimeoutMs?: number
  /** Per-request timeout once proxied (Knative's revision timeout). Default 300 s. */
  readonly requestTimeoutMs?: number
  /** Default 30 s. */
  readonly startTimeoutMs?: number
  readonly logger: Logger
  /** Where the processes' prefixed output lines go; default the host's stdout/stderr. */
  readonly onOutput?: OutputLine
}

export interface ProcessInfo {
  readonly pid: number | undefined
  readonly port: number | null
  readonly state: FunctionProcessState
  readonly inFlight: number
  readonly served: number
  /** Spawn to ready (null while starting). */
  readonly startupMs: number | null
  readonly rssBytes: number | null
}

export interface FunctionHostStats {
  readonly requests: number
  readonly responses: number
  /** Answered 503 by the activator: buffer full, waited too long, or the host stopping. */
  readonly rejected: Readonly<Record<BufferRejection, number>>
  /** In-flight requests lost with their process (answered 502). */
  readonly proxyErrors: number
  readonly buffered: number
  readonly inFlight: number
  readonly processesStarted: number
  readonly processesStopped: number
  readonly processesCrashed: number
  readonly desiredProcesses: number
  readonly panic: boolean
}

/** A request handed to the activator by a caller in this process (method POST). */
export interface InProcessRequest {
  /** Path and query. */
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Buffer | string | null
}

/** What a dispatcher in this process needs of a function host (SinkClient's in-process sinks). */
export type InProcessSink = Pick<FunctionHost, 'invoke'>

export interface FunctionHost {
  readonly name: string
  /** The activator URL: POST events here. */
  readonly url: string
  /**
   * The same activator without the HTTP hop, for dispatchers in this process: buffered, scaled and
   * proxied exactly as a POST to `url`. Rejects where an HTTP caller would see a network error, or
   * after `timeoutMs` (the caller's own timeout, when the request is given up as by a closed socket).
   */
  invoke(request: InProcessRequest, timeoutMs: number): Promise<InProcessAnswer>
  processes(): ProcessInfo[]
  /** Request arrival to response of each scale-from-zero, in ms. */
  coldStarts(): number[]
  stats(): FunctionHostStats
  stop(): Promise<void>
}

interface PendingRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | string[]>
  readonly reply: ActivatorReply
  readonly body: Buffer | string | null
  readonly arrivedAtMs: number
  coldStart: boolean
  finished: boolean
  attempts: number
}

const defaults = {
  gracePeriodMs: 30_000,
  stableWindowMs: 10_000,
  tickMs: 2_000,
  maxBufferedRequests: 10_000,
  bufferTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  startTimeoutMs: 30_000,
  entry: 'build/index.js',
  bodyLimitBytes: 10 * 1024 * 1024,
}
const maxStartBackoffMs = 30_000

export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  const dir = resolve(options.dir)
  const logger = options.logger.child({ function: options.name })
  const spec = await readFunctionSpec(dir)
  const scale: FunctionScale = { ...spec.scale, ...options.scale }
  const containerConcurrency = options.containerConcurrency ?? spec.containerConcurrency
  const settings: KpaSettings = {
    ...knativeKpaDefaults,
    target: scale.target,
    targetUtilizationPercentage: scale.utilization,
    containerConcurrency: scale.metric === 'concurrency' ? containerConcurrency : 0,
    minScale: scale.min,
    maxScale: scale.max,
    stableWindowMs: options.stableWindowMs ?? defaults.stableWindowMs,
    scaleToZeroGracePeriodMs: options.gracePeriodMs ?? defaults.gracePeriodMs,
    panicWindowPercentage: options.panicWindowPercentage ?? knativeKpaDefaults.panicWindowPercentage,
    panicThresholdPercentage: options.panicThresholdPercentage ?? knativeKpaDefaults.panicThresholdPercentage,
    scaleDownDelayMs: options.scaleDownDelayMs ?? knativeKpaDefaults.scaleDownDelayMs,
  }
  if (!options.prebuilt) await buildFunctionOnce(dir, options.name, logger)

  const processEnv: Record<string, string> = {
    ...inheritedBasics(),
    ...spec.envs,
    // Knative's runtime contract sets these in every container.
    K_SERVICE: options.name,
    K_CONFIGURATION: options.name,
    K_REVISION: `${options.name}-00001`,
    ...options.env,
  }
  const entry = options.entry ?? defaults.entry
  const startTimeoutMs = options.startTimeoutMs ?? defaults.startTimeoutMs
  const requestTimeoutMs = options.requestTimeoutMs ?? defaults.requestTimeoutMs

  const all: FunctionProcess[] = []
  const retired = new Set<FunctionProcess>()
  const meter = new ConcurrencyMeter(Date.now())
  let samples: ConcurrencySample[] = []
  let kpaState = initialKpaState
  let desired = settings.minScale
  let panic = false
  let stopping = false
  let consecutiveStartFailures = 0
  let restartTimer: NodeJS.Timeout | null = null
  const coldStartMs: number[] = []
  const counters = {
    requests: 0,
    responses: 0,
    proxyErrors: 0,
    processesStarted: 0,
    processesStopped: 0,
    processesCrashed: 0,
  }
  const rejected: Record<BufferRejection, number> = { overflow: 0, timeout: 0, shutdown: 0 }

  const buffer = new RequestBuffer<PendingRequest>({
    maxEntries: options.maxBufferedRequests ?? defaults.maxBufferedRequests,
    timeoutMs: options.bufferTimeoutMs ?? defaults.bufferTimeoutMs,
    onReject: (pending, reason) => {
      rejected[reason]++
      const detail = {
        overflow: 'the activator buffer is full',
        timeout: 'no function process could take the request in time',
        shutdown: 'the function host is stopping',
      }[reason]
      respondProblem(pending, 503, 'Service Unavailable', detail)
    },
  })

  const active = () => all.filter((proc) => proc.state === 'starting' || proc.state === 'ready')
  const ready = () => all.filter((proc) => proc.state === 'ready' && !retired.has(proc))

  function pickProcess(): FunctionProcess | undefined {
    let best: FunctionProcess | undefined
    for (const proc of ready()) {
      if (containerConcurrency > 0 && proc.inFlight >= containerConcurrency) continue
      if (!best || proc.inFlight < best.inFlight) best = proc
    }
    return best
  }

  function finish(pending: PendingRequest): void {
    if (pending.finished) return
    pending.finished = true
    const now = Date.now()
    meter.finished(now)
    counters.responses++
    if (pending.coldStart && pending.reply.status < 500) coldStartMs.push(now - pending.arrivedAtMs)
  }

  function respondProblem(pending: PendingRequest, status: number, title: string, detail: string): void {
    pending.reply.problem(status, title, detail)
    finish(pending)
  }

  function dispatch(pending: PendingRequest): void {
    const proc = pickProcess()
    if (proc) {
      void proxy(pending, proc)
      return
    }
    if (active().length === 0 && !stopping && !restartTimer) {
      // Scale from zero: the activator pokes the autoscaler at once instead of waiting for the next tick
      // (not during a start backoff: a function that cannot start is not retried per request).
      pending.coldStart = true
      startProcess()
    }
    buffer.push(pending, Date.now())
  }

  function drainBuffer(): void {
    while (buffer.size > 0) {
      const proc = pickProcess()
      if (!proc) return
      const pending = buffer.shift()
      if (pending) void proxy(pending, proc)
    }
  }

  async function proxy(pending: PendingRequest, proc: FunctionProcess): Promise<void> {
    const pool = proc.pool
    if (!pool || pending.finished) return
    proc.inFlight++
    pending.attempts++
    try {
      const response = await pool.request({
        method: pending.method as 'POST',
        path: pending.path,
        headers: pending.headers,
        body: pending.body,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      })
      if (pending.reply.gone) {
        await response.body.dump()
      } else {
        await pending.reply.relay(response)
      }
      proc.served++
      finish(pending)
    } catch (error) {
      const code = (error as { code?: string }).code
      // Refused before anything was sent: the process is gone, the request is intact: send it elsewhere.
      if (code === 'ECONNREFUSED' && pending.attempts < 3 && !pending.reply.started && !stopping) {
        proc.inFlight--
        buffer.pushFront(pending, Date.now())
        afterRequest(proc)
        return
      }
      counters.proxyErrors++
      logger.warn({ pid: proc.pid, err: (error as Error).message }, 'request to the function process failed')
      respondProblem(
        pending,
        502,
        'Bad Gateway',
        `function process ${proc.pid} failed: ${(error as Error).message}`,
      )
    }
    proc.inFlight--
    afterRequest(proc)
  }

  function afterRequest(proc: FunctionProcess): void {
    if (retired.has(proc) && proc.inFlight === 0 && proc.state !== 'exited') void proc.terminate()
    drainBuffer()
  }

  function startProcess(): void {
    if (stopping) return
    if (settings.maxScale > 0 && active().length >= settings.maxScale) return
    const proc = new FunctionProcess({
      name: options.name,
      dir,
      entry,
      env: processEnv,
      startTimeoutMs,
      connections: containerConcurrency > 0 ? containerConcurrency : 128,
      onOutput: options.onOutput,
    })
    all.push(proc)
    counters.processesStarted++
    logger.debug({ pid: proc.pid }, 'function process starting')
    proc.ready.then(
      () => {
        consecutiveStartFailures = 0
        logger.info(
          { pid: proc.pid, port: proc.port, startupMs: Date.now() - proc.spawnedAtMs },
          'function ready',
        )
        if (retired.has(proc)) void proc.terminate()
        drainBuffer()
      },
      (error: Error) => {
        if (retired.has(proc) || stopping) return
        counters.processesCrashed++
        consecutiveStartFailures++
        const backoffMs = Math.min(maxStartBackoffMs, 500 * 2 ** consecutiveStartFailures)
        // Kubernetes' CrashLoopBackOff: a function that cannot start is retried, ever more slowly.
        logger.error(
          { pid: proc.pid, err: error.message, retryInMs: backoffMs },
          'function process failed to start',
        )
        restartTimer ??= setTimeout(() => {
          restartTimer = null
          reconcile()
        }, backoffMs)
      },
    )
    void proc.exited.then(() => onExit(proc))
  }

  function onExit(proc: FunctionProcess): void {
    const index = all.indexOf(proc)
    if (index >= 0) all.splice(index, 1)
    void proc.terminate()
    if (retired.delete(proc)) {
      if (proc.readyAtMs !== null) counters.processesStopped++
      return
    }
    // Died before it was ready: the readiness handler retries with a backoff.
    if (stopping || proc.readyAtMs === null) return
    counters.processesCrashed++
    logger.warn(
      { pid: proc.pid, code: proc.exitCode, signal: proc.exitSignal },
      'function process died: replacing it',
    )
    reconcile()
  }

  function retire(proc: FunctionProcess): void {
    retired.add(proc)
    proc.drain()
    if (proc.inFlight === 0) void proc.terminate()
  }

  /** Brings the process count to the KPA's desired count (at least one while requests wait). */
  function reconcile(): void {
    if (stopping || restartTimer) return
    let wanted = Math.max(desired, buffer.size > 0 ? 1 : 0)
    if (settings.maxScale > 0) wanted = Math.min(wanted, settings.maxScale)
    const current = active()
    for (let count = current.length; count < wanted; count++) startProcess()
    if (current.length > wanted) {
      // Surplus: the least busy go first, so as few requests as possible wait for a drain.
      const surplus = [...current].sort((a, b) => a.inFlight - b.inFlight).slice(0, current.length - wanted)
      for (const proc of surplus) retire(proc)
    }
  }

  function tick(): void {
    const now = Date.now()
    const sample = meter.sample(now)
    samples.push({ atMs: now, concurrency: scale.metric === 'rps' ? sample.rps : sample.concurrency })
    samples = pruneSamples(samples, now, settings)
    const decision = decideScale({
      settings,
      samples,
      readyPods: ready().length,
      nowMs: now,
      state: kpaState,
    })
    kpaState = decision.state
    if (decision.desiredPods !== desired || decision.panic !== panic) {
      logger.debug(
        { desired: decision.desiredPods, panic: decision.panic, stable: decision.stableConcurrency },
        'scale decision',
      )
    }
    desired = decision.desiredPods
    panic = decision.panic
    reconcile()
  }

  function accept(request: Omit<PendingRequest, 'arrivedAtMs' | 'coldStart' | 'finished' | 'attempts'>) {
    const pending: PendingRequest = {
      ...request,
      arrivedAtMs: Date.now(),
      coldStart: false,
      finished: false,
      attempts: 0,
    }
    counters.requests++
    meter.started(pending.arrivedAtMs)
    return pending
  }

  function giveUp(pending: PendingRequest): void {
    if (pending.finished) return
    buffer.remove(pending)
    finish(pending)
  }

  function invoke(request: InProcessRequest, timeoutMs: number): Promise<InProcessAnswer> {
    let pending: PendingRequest | undefined
    const { reply, answer } = inProcessReply({
      ms: timeoutMs,
      message: `no answer from ${options.name} within ${timeoutMs} ms`,
      onTimeout: () => pending && giveUp(pending),
    })
    if (stopping) reply.problem(503, 'Service Unavailable', 'the function host is stopping')
    else {
      pending = accept({ method: 'POST', ...request, reply })
      dispatch(pending)
    }
    return answer
  }

  const server = createServer((req, res) => {
    if (stopping) {
      writeProblem(res, 503, 'Service Unavailable', 'the function host is stopping')
      return
    }
    void readBody(req, defaults.bodyLimitBytes).then(
      (body) => {
        if (body === null) {
          res.setHeader('connection', 'close')
          writeProblem(res, 413, 'Content Too Large', `the body exceeds ${defaults.bodyLimitBytes} bytes`)
          return
        }
        const pending = accept({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: forwardedHeaders(req.headers),
          reply: httpReply(res),
          body: body.length > 0 ? body : null,
        })
        // The client gave up (dispatcher timeout): stop holding it.
        res.once('close', () => giveUp(pending))
        dispatch(pending)
      },
      () => res.destroy(),
    )
  })
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  const port = (server.address() as AddressInfo).port
  const ticker = setInterval(tick, options.tickMs ?? defaults.tickMs)
  ticker.unref()
  if (settings.minScale > 0) reconcile()
  logger.info(
    {
      url: `http://127.0.0.1:${port}/`,
      scale,
      containerConcurrency,
      stableWindowMs: settings.stableWindowMs,
    },
    'function host listening',
  )

  return {
    name: options.name,
    url: `http://127.0.0.1:${port}/`,
    invoke,
    processes: () =>
      all.map((proc) => ({
        pid: proc.pid,
        port: proc.port,
        state: proc.state,
        inFlight: proc.inFlight,
        served: proc.served,
        startupMs: proc.readyAtMs === null ? null : proc.readyAtMs - proc.spawnedAtMs,
        rssBytes: proc.rssBytes(),
      })),
    coldStarts: () => [...coldStartMs],
    stats: () => ({
      ...counters,
      rejected: { ...rejected },
      buffered: buffer.size,
      inFlight: meter.inFlight,
      desiredProcesses: desired,
      panic,
    }),
    async stop() {
      if (stopping) return
      stopping = true
      clearInterval(ticker)
      if (restartTimer) clearTimeout(restartTimer)
      buffer.rejectAll('shutdown')
      await Promise.all(all.map((proc) => proc.terminate()))
      server.closeAllConnections()
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()))
      logger.info('function host stopped')
    },
  }
}

/** The few variables a process needs to run at all; the function's own env comes from func.yaml and the caller. */
function inheritedBasics(): Record<string, string> {
  const basics: Record<string, string> = {}
  // NODE_OPTIONS too, so `NODE_OPTIONS=--cpu-prof npm start` profiles the functions as well.
  for (const name of ['PATH', 'HOME', 'TZ', 'LANG', 'TMPDIR', 'NODE_OPTIONS']) {
    const value = process.env[name]
    if (value !== undefined) basics[name] = value
  }
  return basics
}
