// Progress lines for the slow steps of a tool's start (PGlite's first init, migrations, function
// builds, the Kafka jar download, a broker's start): what it is doing when it begins, how long it took
// when it ends, so a long step is never silent. Written through the tool's logger (info), or as plain
// lines on a terminal.

/** What a step reports through: a pino logger fits, or `plainLines` on a terminal. */
export interface ProgressSink {
  info(fields: Record<string, unknown>, message: string): void
}

export interface ProgressStep {
  /** Reports the step done, with its duration (and `detail`, e.g. what it created). */
  done(detail?: string): void
}

/** Starts a step: one line now, one with its duration when `done` is called. */
export function startStep(sink: ProgressSink, what: string, now: () => number = Date.now): ProgressStep {
  const began = now()
  sink.info({ step: what }, `${what} ...`)
  let ended = false
  return {
    done(detail) {
      if (ended) return
      ended = true
      const ms = now() - began
      sink.info({ step: what, ms }, `${what}: done in ${formatDuration(ms)}${detail ? ` (${detail})` : ''}`)
    },
  }
}

/** Runs `work` as a step: reported when it starts and when it resolves. */
export async function step<T>(sink: ProgressSink, what: string, work: () => Promise<T>): Promise<T> {
  const started = startStep(sink, what)
  const result = await work()
  started.done()
  return result
}

export function formatDuration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`
}

/** A sink writing each message as a plain line (e.g. to stderr on a terminal). */
export function plainLines(write: (line: string) => void): ProgressSink {
  return { info: (_fields, message) => write(`${message}\n`) }
}
