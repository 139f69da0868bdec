import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export type CliRun = { code: number | null; stdout: string; stderr: string }

/**
 * Runs a command-line tool of the repository (`script`, relative to its root) as a user does, with only
 * `env` (and PATH), until it exits. Asynchronous, so servers of the test keep answering it.
 */
export function runCli(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: repoRoot, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr })
      },
    )
  })
}
