// Where a running local system says what it serves, so `npm run invoke` and `npm run status` can find
// it without flags. Written at start, removed at stop.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'

export const defaultStateFile = resolve(import.meta.dirname, '../../.data/local/system.json')

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

export async function writeSystemState(state: SystemState, file = defaultStateFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
  await chmod(file, 0o600)
}

export async function removeSystemState(file = defaultStateFile): Promise<void> {
  await rm(file, { force: true })
}

/** The state of a live system, or null (no file, or its process is gone). */
export async function readSystemState(file = defaultStateFile): Promise<z.output<typeof stateSchema> | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return null
  }
  const parsed = stateSchema.safeParse(JSON.parse(text))
  if (!parsed.success) return null
  try {
    process.kill(parsed.data.pid, 0)
  } catch {
    return null
  }
  return parsed.data
}
