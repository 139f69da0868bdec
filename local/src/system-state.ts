// Where each running local system (`npm start`) says what it serves, so `npm run status`, `invoke`,
// `logs` and `dead-letters` find it without flags. One file per system, named by its pid (unique while
// it runs): two systems side by side neither overwrite nor remove each other's. Written at start,
// removed at stop; a file whose process is gone is stale, and its readers remove it.
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { z } from 'zod'
import { UsageError } from '../../cli/src/command-line.ts'
import { isAlive } from './process-alive.ts'

const stateSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  gateway: z.string(),
  /** Function name -> activator URL (POST CloudEvents here). */
  functions: z.record(z.string(), z.string()),
  /** Status endpoint of the running system. */
  status: z.string(),
  /**
   * Function name -> a token of one of its sources (what `kubectl create token` gives on a cluster), so
   * `npm run invoke` passes the sender check. Renewed while the system runs; the file is private (0600).
   */
  invokeTokens: z.record(z.string(), z.string()).default({}),
})

export type SystemState = z.input<typeof stateSchema>
export type RunningSystemState = z.output<typeof stateSchema>

/** A live system and its state file. */
export type RunningSystem = { readonly file: string; readonly state: RunningSystemState }

/** The folder of the state files: TASKFLOW_STATE_DIR, else the checkout's `.data/local/systems`. */
export function stateDir(): string {
  return resolve(process.env.TASKFLOW_STATE_DIR || resolve(import.meta.dirname, '../../.data/local/systems'))
}

/** The state file of the system running as `pid`. */
export function stateFileOf(pid: number = process.pid): string {
  return join(stateDir(), `${pid}.json`)
}

/** Several systems run and no --state-file says which one: a usage error (exit code 2) listing them. */
export class SeveralSystemsError extends UsageError {
  readonly systems: readonly RunningSystem[]

  constructor(systems: readonly RunningSystem[]) {
    super(
      `${systems.length} local systems are running (npm start); choose one with --state-file <file>:\n` +
        systems
          .map(({ file, state }) => `  pid ${state.pid}  ${state.gateway}  --state-file ${shownPath(file)}`)
          .join('\n'),
    )
    this.systems = systems
  }
}

/** Writes this system's own state file, replaced whole (its readers never see half of it). */
export async function writeSystemState(state: SystemState, file = stateFileOf(state.pid)): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const staging = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  await writeFile(staging, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
  await chmod(staging, 0o600)
  await rename(staging, file)
}

/** Removes this system's own state file (by default this process's), never another's. */
export async function removeSystemState(file = stateFileOf()): Promise<void> {
  await rm(file, { force: true })
}

/**
 * The state of the live system in `file`, or null (no file, or its process is gone). Without a file: the
 * one live system of the state folder, or null when none runs; several throw SeveralSystemsError.
 */
export async function readSystemState(file?: string): Promise<RunningSystemState | null> {
  if (file !== undefined) {
    const state = await readStateFile(file)
    return state !== null && isAlive(state.pid) ? state : null
  }
  const systems = await runningSystems()
  if (systems.length > 1) throw new SeveralSystemsError(systems)
  return systems[0]?.state ?? null
}

/** The live systems of the state folder, oldest first; the stale files met on the way are removed. */
export async function runningSystems(dir: string = stateDir()): Promise<RunningSystem[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  const systems: RunningSystem[] = []
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    const file = join(dir, name)
    const state = await readStateFile(file)
    // Unreadable: left alone (not ours to judge); gone: stale.
    if (state === null) continue
    if (isAlive(state.pid)) systems.push({ file, state })
    else await rm(file, { force: true })
  }
  return systems.sort((a, b) => a.state.startedAt.localeCompare(b.state.startedAt))
}

async function readStateFile(file: string): Promise<RunningSystemState | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** A path as a user would type it: relative to the working folder when inside it. */
function shownPath(file: string): string {
  const inside = relative(process.cwd(), file)
  return inside.startsWith('..') || inside === '' ? file : inside
}
