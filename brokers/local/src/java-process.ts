import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

export type JavaProcess = {
  readonly pid: number
  /** Resolves with the exit code (or signal) once the JVM has exited. */
  readonly exited: Promise<string>
  readonly hasExited: () => boolean
}

/**
 * Starts a JVM in a process group of its own (detached), output appended to `logFile`, so that
 * stopping it reaches every thread and helper it forks, and a Ctrl-C in the terminal reaches the
 * CLI first (which then stops the broker cleanly) rather than the JVM directly.
 */
export function spawnJava(args: readonly string[], logFile: string): JavaProcess {
  const fd = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn('java', args, { detached: true, stdio: ['ignore', fd, fd] })
  } finally {
    closeSync(fd)
  }
  let done = false
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      resolve(signal ?? `exit code ${code}`)
    })
    child.once('error', (error) => {
      done = true
      resolve(`failed to start: ${error.message}`)
    })
  })
  if (child.pid === undefined) {
    // spawn reports ENOENT asynchronously; the 'error' handler above records it.
    return { pid: -1, exited, hasExited: () => true }
  }
  return { pid: child.pid, exited, hasExited: () => done }
}

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

/** SIGTERM (Kafka's controlled shutdown), then SIGKILL if it has not exited within the grace time. */
export async function stopJava(java: JavaProcess, graceMs: number): Promise<void> {
  if (java.pid < 0 || java.hasExited()) return
  signalGroup(java.pid, 'SIGTERM')
  // A node a fault test froze (SIGSTOP) would hold the SIGTERM until the grace time ran out.
  signalGroup(java.pid, 'SIGCONT')
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs)
  })
  const outcome = await Promise.race([java.exited, timedOut])
  clearTimeout(timer)
  if (outcome === 'timeout') {
    signalGroup(java.pid, 'SIGKILL')
    await java.exited
  }
}

/** Sends `signal` to the JVM's process group (SIGSTOP/SIGCONT freeze and thaw it). */
export function signalJava(java: JavaProcess, signal: NodeJS.Signals): void {
  if (java.pid >= 0 && !java.hasExited()) signalGroup(java.pid, signal)
}

/** SIGKILL to the JVM's group, resolved once it has exited (a crash, for fault tests). */
export async function killJava(java: JavaProcess): Promise<void> {
  if (java.pid < 0 || java.hasExited()) return
  signalGroup(java.pid, 'SIGKILL')
  await java.exited
}

/** Synchronous last resort for process 'exit': no time for a controlled shutdown. */
export function killJavaNow(java: JavaProcess): void {
  if (java.pid >= 0 && !java.hasExited()) signalGroup(java.pid, 'SIGKILL')
}

// The watchdog outlives a parent that dies without running exit handlers (SIGKILL, OOM, a crashed
// test runner): it polls the parent and then ends every JVM group listed in the pid file.
const watchdogScript = `
parent="$1"; pids="$2"; cleanup="$3"
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$pids" ] || exit 0
for pg in $(cat "$pids"); do kill -TERM -"$pg" 2>/dev/null; kill -CONT -"$pg" 2>/dev/null; done
for i in 1 2 3 4 5 6 7 8 9 10; do
  alive=0
  for pg in $(cat "$pids"); do kill -0 -"$pg" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 1
done
for pg in $(cat "$pids"); do kill -KILL -"$pg" 2>/dev/null; done
[ -n "$cleanup" ] && rm -rf -- "$cleanup"
exit 0
`

/** Starts the watchdog; kill it (by the returned pid) once the JVMs are stopped normally. */
export function startWatchdog(pidFile: string, removeOnCleanup: string | undefined): number | undefined {
  const child = spawn(
    'sh',
    ['-c', watchdogScript, 'taskflow-kafka-watchdog', String(process.pid), pidFile, removeOnCleanup ?? ''],
    {
      detached: true,
      stdio: 'ignore',
    },
  )
  child.unref()
  return child.pid
}
