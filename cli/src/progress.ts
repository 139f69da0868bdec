// Progress lines for the steps of a tool's start (PGlite's first init, migrations, function builds,
// the Kafka jar download, a broker's start): what it is doing when it begins, a "still" line once it
// has run 2 s and every 5 s after, how long it took when it ends, so no step over 2 s is silent, not
// only the ones known to be slow. Written through the tool's logger (info), or as plain lines.

/** What a step reports through: a pino logger fits, or `plainLines` on a terminal. */
export interface ProgressSink {
  info(fields: Record<string, unknown>, message: string): void
}

export interface ProgressStep {
  /** Reports the step done, with its duration (and `detail`, e.g. what it created). */
  done(detail?: string): void
  /** Ends the step without a line: it failed, and the error says so where it is handled. */
  abandon(): void
}

/** When a running step says it is still running: after the first, then every next. */
export const stillRunningAfterMs = { first: 2_000, next: 5_000 } as const

/** Starts a step: one line now, "still" lines while it runs past 2 s, one with its duration at `done`. */
export function startStep(sink: ProgressSink, what: string, now: () => number = Date.now): ProgressStep {
  const began = now()
  sink.info({ step: what }, `${what} ...`)
  let ended = false
  let timer: NodeJS.Timeout | undefined
  const remind = (delay: number) => {
    timer = setTimeout(() => {
      const ms = now() - began
      sink.info({ step: what, ms, running: true }, `${what}: still running (${formatDuration(ms)})`)
      remind(stillRunningAfterMs.next)
    }, delay)
    // A reminder never keeps a process alive that has nothing else to do.
    timer.unref()
  }
  remind(stillRunningAfterMs.first)
  const end = () => {
    if (ended) return false
    ended = true
    clearTimeout(timer)
    return true
  }
  return {
    done(detail) {
      if (!end()) return
      const ms = now() - began
      sink.info({ step: what, ms }, `${what}: done in ${formatDuration(ms)}${detail ? ` (${detail})` : ''}`)
    },
    abandon: end,
  }
}

/** Runs `work` as a step: reported when it starts, while it runs past 2 s, and when it resolves. */
export async function step<T>(sink: ProgressSink, what: string, work: () => Promise<T>): Promise<T> {
  const started = startStep(sink, what)
  try {
    const result = await work()
    started.done()
    return result
  } finally {
    started.abandon()
  }
}

export function formatDuration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`
}

/** A sink writing each message as a plain line (e.g. to stderr on a terminal). */
export function plainLines(write: (line: string) => void): ProgressSink {
  return { info: (_fields, message) => write(`${message}\n`) }
}
