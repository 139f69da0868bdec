import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from './free-port.ts'
import { waitForReadiness } from './function-runtime.ts'
import { ProcessOutput } from './process-output.ts'
import { repoRoot } from './schemas.ts'

// The Task API as its own process, `node api/src/main.ts` exactly as `npm run api:start` runs it, so a
// test can tell a crash (the process is gone) from an error answer, and read what it logged.

export interface ApiProcess {
  readonly url: string
  readonly output: ProcessOutput
  /** False once the process has exited, by itself or killed by a signal. */
  alive(): boolean
  /** SIGTERM (the API drains and closes); resolves to the exit code. */
  stop(): Promise<number | null>
}

/** Starts the API with `env` on top of a free port, and resolves once /readyz answers 200. */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort()
  const output = new ProcessOutput()
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'api', 'src', 'main.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream]
    if (source) createInterface({ input: source }).on('line', (line) => output.add(line, stream))
  }
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    return child.exitCode
  }
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForReadiness(`${url}/readyz`, child, () => output.tail())
  } catch (error) {
    await stop()
    throw error
  }
  return { url, output, alive: () => child.exitCode === null && child.signalCode === null, stop }
}
