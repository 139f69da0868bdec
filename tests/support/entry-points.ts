import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// The processes' entry points as they run deployed: the Task API's main, each function's module (which
// faas-js-runtime loads; its config is read when the module loads) and the local system's main. Tests
// start one with a given environment to see how it refuses a bad configuration.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export const apiEntry = 'api/src/main.ts'
export const functionEntries = [
  'functions/audit-log/src/index.ts',
  'functions/notification-fanout/src/index.ts',
  'functions/reminders/src/index.ts',
]
export const localSystemEntry = 'local/src/main.ts'

/** Runs `entry` with only `env` (and PATH) until it exits; bounded, for entries expected to refuse. */
export function runEntry(
  entry: string,
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [entry], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, PGLITE_DATA_DIR: 'memory://', PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}
