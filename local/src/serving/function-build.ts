// Runs a function's `build` script once before its first process starts, as the buildpack does with
// BP_NODE_RUN_SCRIPTS=build. Concurrent hosts of the same folder share one build.
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import type { Logger } from 'pino'
import { prefixLines } from './output-prefix.ts'

export class FunctionBuildError extends Error {
  readonly dir: string
  readonly exitCode: number | null
  readonly output: string

  constructor(dir: string, exitCode: number | null, output: string) {
    super(`build of ${dir} failed (exit ${exitCode}): ${output.slice(-2_000)}`)
    this.name = 'FunctionBuildError'
    this.dir = dir
    this.exitCode = exitCode
    this.output = output
  }
}

const builds = new Map<string, Promise<void>>()

/** `npm run build` in `dir`, once per folder for the life of this process. */
export function buildFunctionOnce(dir: string, name: string, logger: Logger): Promise<void> {
  const key = resolve(dir)
  let build = builds.get(key)
  if (!build) {
    build = runBuild(key, name, logger)
    builds.set(key, build)
    // A failed build may be fixed and retried by the next host.
    build.catch(() => builds.delete(key))
  }
  return build
}

function runBuild(dir: string, name: string, logger: Logger): Promise<void> {
  const started = Date.now()
  return new Promise((resolveBuild, rejectBuild) => {
    const child = spawn('npm', ['run', 'build', '--silent'], {
      cwd: dir,
      // The build scripts target the project's Node 24 (the machine's own Node is older): put it first.
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const keep = (chunk: Buffer) => {
      output += chunk.toString('utf8')
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (error) => rejectBuild(new FunctionBuildError(dir, null, error.message)))
    child.on('close', (code) => {
      if (code === 0) {
        logger.info({ function: name, ms: Date.now() - started }, 'function built')
        resolveBuild()
        return
      }
      for (const line of prefixLines(name, output)) process.stderr.write(line)
      rejectBuild(new FunctionBuildError(dir, code, output))
    })
  })
}
