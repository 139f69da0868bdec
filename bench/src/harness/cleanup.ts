// Everything a bench run starts (brokers, servers, databases, child processes) registers its undo here,
// so the run stops what it started even when a benchmark throws or the user presses Ctrl-C.

export class CleanupStack {
  readonly #steps: { label: string; run: () => Promise<void> | void }[] = []
  #running: Promise<string[]> | null = null

  push(label: string, run: () => Promise<void> | void): void {
    this.#steps.push({ label, run })
  }

  /** Runs every step, newest first, each even if an earlier one failed; returns the failures. */
  runAll(): Promise<string[]> {
    this.#running ??= (async () => {
      const failures: string[] = []
      while (this.#steps.length > 0) {
        const step = this.#steps.pop()!
        try {
          await step.run()
        } catch (error) {
          failures.push(`${step.label}: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      this.#running = null
      return failures
    })()
    return this.#running
  }
}

/** On SIGINT/SIGTERM: clean up, then exit with the conventional 128 + signal code. */
export function cleanUpOnSignals(stacks: () => CleanupStack[], write: (line: string) => void): void {
  const codes = { SIGINT: 130, SIGTERM: 143 } as const
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      write(`\n${signal}: stopping what the bench started...`)
      void (async () => {
        for (const stack of stacks()) await stack.runAll()
      })().finally(() => process.exit(codes[signal]))
    })
  }
}
