import { spawn } from 'node:child_process'

/** The pid of a process that has exited: the owner of a stale lock or state file. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}
