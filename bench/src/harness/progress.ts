// A single-line progress bar: redrawn in place on a TTY (at most every 100 ms), one plain line per 10 %
// otherwise, so CI logs stay short. Hand-written: the whole need is one line of text.

export interface ProgressBar {
  /** Sets the absolute count done so far. */
  update(done: number): void
  increment(by?: number): void
  finish(): void
}

const width = 28

export function createProgressBar(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  const startedAt = performance.now()
  const tty = stream.isTTY === true
  let done = 0
  let lastDrawAt = 0
  let lastDecile = -1
  let finished = false

  const line = () => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1
    const filled = Math.round(fraction * width)
    const seconds = (performance.now() - startedAt) / 1000
    const rate = seconds > 0 ? Math.round(done / seconds) : 0
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${done}/${total} ${rate}/s ${seconds.toFixed(1)}s`
  }
  const draw = (force: boolean) => {
    if (tty) {
      const now = performance.now()
      if (!force && now - lastDrawAt < 100) return
      lastDrawAt = now
      stream.write(`\r${line()}\x1b[K`)
      return
    }
    const decile = total > 0 ? Math.floor((Math.min(done, total) / total) * 10) : 10
    if (decile > lastDecile || (force && decile < 10)) {
      lastDecile = decile
      stream.write(`${line()}\n`)
    }
  }

  return {
    update(value) {
      done = value
      if (!finished) draw(false)
    },
    increment(by = 1) {
      done += by
      if (!finished) draw(false)
    },
    finish() {
      if (finished) return
      finished = true
      draw(true)
      if (tty) stream.write('\n')
    },
  }
}
