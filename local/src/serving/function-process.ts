// One function process (the local stand-in for a pod): spawned with the function's env, ready once
// faas-js-runtime answers GET /health/readiness (the readiness probe func.yaml declares), reached
// through its own keep-alive undici Pool, and never left behind when the host stops or dies.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Pool, request } from 'undici'
import { forwardPrefixed, type OutputLine } from './output-prefix.ts'

const childEntry = fileURLToPath(new URL('./function-child.mjs', import.meta.url))
const readinessPath = '/health/readiness'
const readinessPollMs = 25
const terminateGraceMs = 5_000

export type FunctionProcessState = 'starting' | 'ready' | 'draining' | 'exited'

export interface FunctionProcessOptions {
  readonly name: string
  readonly dir: string
  /** The built module, relative to `dir`. */
  readonly entry: string
  readonly env: Readonly<Record<string, string>>
  readonly startTimeoutMs: number
  /** Keep-alive connections to this process: containerConcurrency when set. */
  readonly connections: number
  readonly onOutput?: OutputLine
}

export class FunctionStartError extends Error {
  constructor(name: string, reason: string) {
    super(`function ${name} did not become ready: ${reason}`)
    this.name = 'FunctionStartError'
  }
}

// Every live child of this host process. On exit they are killed synchronously; the children also exit
// by themselves when their IPC channel closes (see function-child.mjs), which covers SIGKILL of the host.
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const live of liveChildren) live.kill('SIGKILL')
    })
  }
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
}

export class FunctionProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly spawnedAtMs: number
  state: FunctionProcessState = 'starting'
  port: number | null = null
  pool: Pool | null = null
  inFlight = 0
  served = 0
  readyAtMs: number | null = null
  exitCode: number | null = null
  exitSignal: NodeJS.Signals | null = null
  /** Resolves once ready; rejects when the process exits or times out first. */
  readonly ready: Promise<void>
  /** Resolves when the process has exited (for any reason). */
  readonly exited: Promise<void>
  #terminating = false
  readonly #connections: number

  constructor(options: FunctionProcessOptions) {
    this.name = options.name
    this.#connections = options.connections
    this.spawnedAtMs = Date.now()
    this.child = spawn(process.execPath, [childEntry, options.dir, options.entry], {
      cwd: options.dir,
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    trackChild(this.child)
    const prefix = `${options.name} ${this.child.pid ?? '?'}`
    if (this.child.stdout) forwardPrefixed(this.child.stdout, prefix, 'stdout', options.onOutput)
    if (this.child.stderr) forwardPrefixed(this.child.stderr, prefix, 'stderr', options.onOutput)
    this.exited = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code
        this.exitSignal = signal
        this.state = 'exited'
        resolveExit()
      })
      this.child.once('error', () => {
        this.state = 'exited'
        resolveExit()
      })
    })
    this.ready = this.#becomeReady(options.startTimeoutMs)
    // Callers observe failures through `ready` or `exited`; never an unhandled rejection.
    this.ready.catch(() => {})
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get origin(): string | null {
    return this.port === null ? null : `http://127.0.0.1:${this.port}`
  }

  /** Whether this process was told to stop (draining or terminated), as opposed to dying by itself. */
  get terminating(): boolean {
    return this.#terminating
  }

  /** Resident set size from /proc (Linux); null elsewhere or once exited. */
  rssBytes(): number | null {
    if (this.state === 'exited' || this.pid === undefined) return null
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
      return match ? Number(match[1]) * 1024 : null
    } catch {
      return null
    }
  }

  async #becomeReady(timeoutMs: number): Promise<void> {
    const deadline = this.spawnedAtMs + timeoutMs
    const exitedFirst = this.exited.then(() => {
      throw new FunctionStartError(
        this.name,
        `process exited (code ${this.exitCode}, signal ${this.exitSignal})`,
      )
    })
    exitedFirst.catch(() => {})
    const listening = new Promise<number>((resolvePort) => {
      this.child.on('message', (message: unknown) => {
        if (isListening(message)) resolvePort(message.port)
      })
    })
    const timeout = sleep(timeoutMs).then(() => {
      throw new FunctionStartError(this.name, `not ready after ${timeoutMs} ms`)
    })
    timeout.catch(() => {})
    try {
      const port = await Promise.race([listening, exitedFirst, timeout])
      this.port = port
      while (this.state === 'starting') {
        if (Date.now() > deadline) throw new FunctionStartError(this.name, `not ready after ${timeoutMs} ms`)
        if (await probeReadiness(port)) {
          this.pool = new Pool(`http://127.0.0.1:${port}`, {
            connections: this.#connections,
            // Keep idle connections longer than the runtime's own keep-alive would let them linger.
            keepAliveTimeout: 4_000,
          })
          this.readyAtMs = Date.now()
          this.state = 'ready'
          return
        }
        await Promise.race([sleep(readinessPollMs), exitedFirst])
      }
      throw new FunctionStartError(this.name, `process ${this.state} before it was ready`)
    } catch (error) {
      this.terminate()
      throw error
    }
  }

  /** No new requests; the host terminates the process once its in-flight requests finished. */
  drain(): void {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'draining'
    this.#terminating = true
  }

  /** SIGTERM (faas-js-runtime runs the function's shutdown hook), SIGKILL after a grace period. */
  terminate(): Promise<void> {
    this.#terminating = true
    if (this.state !== 'exited') {
      if (this.state !== 'draining') this.state = 'draining'
      this.child.kill('SIGTERM')
      const killer = setTimeout(() => this.child.kill('SIGKILL'), terminateGraceMs)
      killer.unref()
      void this.exited.then(() => clearTimeout(killer))
    }
    const pool = this.pool
    this.pool = null
    return this.exited.then(() => pool?.destroy())
  }
}

function isListening(message: unknown): message is { kind: 'listening'; port: number } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { kind?: unknown }).kind === 'listening' &&
    typeof (message as { port?: unknown }).port === 'number'
  )
}

async function probeReadiness(port: number): Promise<boolean> {
  try {
    const response = await request(`http://127.0.0.1:${port}${readinessPath}`, {
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
    })
    await response.body.dump()
    return response.statusCode === 200
  } catch {
    return false
  }
}
