import { join } from 'node:path'
import { pino } from 'pino'
import { buildFunctionOnce } from '../../local/src/serving/function-build.ts'
import { FunctionProcess } from '../../local/src/serving/function-process.ts'
import { ProcessOutput } from './process-output.ts'
import { repoRoot } from './schemas.ts'

// A function folder built by its own `npm run build` and served by faas-js-runtime in a process of its
// own, the way the local Knative Serving starts a pod (local/src/serving/function-process.ts): what a
// request does to that process (a crash, an error log) is visible to the test.

export interface RunningFunction {
  readonly name: string
  readonly url: string
  readonly process: FunctionProcess
  readonly output: ProcessOutput
  /** False once the process has exited, for whatever reason. */
  alive(): boolean
  stop(): Promise<void>
}

const silent = pino({ level: 'silent' })

/**
 * Error-level lines faas-js-runtime 4.0.1 logs by itself, whatever the function does:
 * - its metrics `onResponse` hook calls `req.execTimer()`, which only its `preHandler` hook sets, so
 *   every request fastify answers before the handlers (a body it cannot parse, a body over its limit)
 *   also logs "req.execTimer is not a function"; the answer itself is unaffected;
 * - its health probes hand fastify's reply to overload-protection's plain-http middleware, which calls
 *   `res.setHeader` when the event loop lags (a busy machine, a start-up), so the probe answers 500
 *   and logs "res.setHeader is not a function" instead of answering 503;
 * - its invoker parses a plain (not CloudEvent) JSON body a second time when the first parse gave a
 *   string, and prints the SyntaxError with console.error ("Error parsing JSON body") before it calls
 *   the function with the string anyway.
 */
export const runtimeLogNoise: readonly RegExp[] = [
  /"message":"req\.execTimer is not a function"/,
  /"message":"res\.setHeader is not a function".*overload-protection/,
  /^Error parsing JSON body SyntaxError: .*\n\s+at JSON\.parse/,
]

/** Builds functions/<name> (once per test process) and starts it with `env`; resolves once it is ready. */
export async function startFunctionProcess(
  name: string,
  env: Record<string, string>,
): Promise<RunningFunction> {
  const dir = join(repoRoot, 'functions', name)
  await buildFunctionOnce(dir, name, silent)
  const output = new ProcessOutput()
  const prefix = /^\[[^\]]*\] /
  const proc = new FunctionProcess({
    name,
    dir,
    entry: 'build/index.js',
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', FUNC_LOG_LEVEL: 'warn', ...env },
    startTimeoutMs: 60_000,
    connections: 8,
    onOutput: (line, stream) => output.add(line.replace(prefix, ''), stream),
  })
  try {
    await proc.ready
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${output.tail()}`)
  }
  return {
    name,
    url: proc.origin!,
    process: proc,
    output,
    alive: () => proc.state === 'ready',
    stop: () => proc.terminate(),
  }
}
