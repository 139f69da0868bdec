import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll } from 'vitest'
import { freePort } from './free-port.ts'
import { waitForReadiness } from './function-runtime.ts'
import { repoRoot } from './schemas.ts'

// `kn func deploy` sends only functions/<name>/ to the builder (knative/func#1880). This does what
// the buildpack does with a copy of that folder ALONE, far from the monorepo: `npm ci` from the
// registry with the folder's package-lock.json (the buildpack's build layer: devDependencies too),
// `npm run build`, `npm start`. Without DATABASE_URL a function opens an embedded PGlite (a
// devDependency, which a cluster image leaves out) and without K_SINK it emits nothing, so nothing else
// has to run unless a test sets them.

const run = promisify(execFile)

export interface LoneFunctionFolder {
  /** `npm ci --prefer-offline` then `npm run build` in the copy; resolves to build/index.js. */
  installAndBuild(): Promise<string>
  /**
   * `npm start` on a free port (Knative sets PORT; faas-js-runtime's CLI reads FUNC_PORT, default
   * 8080, so both are set), resolved once /health/readiness answers 200.
   */
  start(env?: Record<string, string>): Promise<{ url: string; coldStartMs: number }>
  /** Everything the started function printed, for failure messages. */
  output(): string
}

/**
 * Copies functions/<name> (without node_modules, build, .data) to a temporary folder in beforeAll;
 * afterAll ends the process group `start` began, leaving no orphan, and removes the copy.
 */
export function useLoneFunctionFolder(name: string): LoneFunctionFolder {
  const functionDir = join(repoRoot, 'functions', name)
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_workspaces: 'false' }
  delete env.DATABASE_URL
  delete env.K_SINK
  let workDir: string | undefined
  let child: ChildProcess | undefined
  let output = ''

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), `${name}-alone-`))
    await cp(functionDir, workDir, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|build|\.data)([/\\]|$)/.test(source.slice(functionDir.length)),
    })
  })
  afterAll(async () => {
    if (child !== undefined) await stopProcessGroup(child)
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true })
  })

  const copy = () => {
    if (workDir === undefined) throw new Error(`${name} is not copied yet (use it inside tests)`)
    return workDir
  }

  return {
    async installAndBuild() {
      const cwd = copy()
      await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd,
        env,
        timeout: 480_000,
      })
      await run('npm', ['run', 'build'], { cwd, env })
      return readFile(join(cwd, 'build', 'index.js'), 'utf8')
    },
    async start(extraEnv = {}) {
      if (child !== undefined) throw new Error(`${name} is already started`)
      const port = await freePort()
      const startedAt = performance.now()
      const started = spawn('npm', ['start'], {
        cwd: copy(),
        env: { ...env, PORT: String(port), FUNC_PORT: String(port), LOG_LEVEL: 'warn', ...extraEnv },
        // Its own process group: npm runs sh, which runs node, and afterAll must end all three.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child = started
      started.stdout?.on('data', (chunk) => {
        output += chunk
      })
      started.stderr?.on('data', (chunk) => {
        output += chunk
      })
      const url = `http://127.0.0.1:${port}`
      await waitForReadiness(`${url}/health/readiness`, started, () => output)
      return { url, coldStartMs: Math.round(performance.now() - startedAt) }
    },
    output: () => output,
  }
}

/** Sends `signal` to every process of the group; false when none is left to receive it. */
function signalGroup(groupId: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-groupId, signal)
    return true
  } catch {
    return false
  }
}

/** SIGTERM to the whole group, then (bounded: 5 s) SIGKILL to whatever of it ignored that. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return
  const groupId = child.pid
  const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined
  signalGroup(groupId, 'SIGTERM')
  await exited
  for (let attempt = 0; attempt < 50 && signalGroup(groupId, 0); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  signalGroup(groupId, 'SIGKILL')
}
