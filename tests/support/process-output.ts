// What a process under test printed, line by line, and the lines that tell of a fault: our processes
// log pino JSON only, so a line that is not JSON is an uncaught exception's stack trace or a stray
// console.error, and a JSON line at level error (50) or fatal (60) is a fault the process noticed.

export type OutputLine = { readonly stream: 'stdout' | 'stderr'; readonly text: string }

const errorLevel = 50

export class ProcessOutput {
  readonly lines: OutputLine[] = []

  add(text: string, stream: OutputLine['stream']): void {
    this.lines.push({ stream, text })
  }

  /**
   * Every line that is not JSON or is logged at error level or above, but those `allowed` matches,
   * summarised (message and error) so a failure lists them readably.
   */
  faults(allowed: readonly RegExp[] = []): string[] {
    return entries(this.lines.map((line) => line.text))
      .filter((text) => isFault(text) && !allowed.some((pattern) => pattern.test(text)))
      .map(summary)
  }

  /** The last lines, for a failure message. */
  tail(count = 40): string {
    return this.lines
      .slice(-count)
      .map((line) => line.text)
      .join('\n')
  }
}

/** Lines as entries: an indented line after text that is not JSON (a stack frame) belongs to it. */
function entries(lines: readonly string[]): string[] {
  const grouped: string[] = []
  for (const line of lines) {
    const previous = grouped.at(-1)
    if (previous !== undefined && /^\s/.test(line) && !isJson(previous))
      grouped[grouped.length - 1] = `${previous}\n${line}`
    else grouped.push(line)
  }
  return grouped
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function summary(text: string): string {
  try {
    const { msg, err } = JSON.parse(text) as { msg?: unknown; err?: { stack?: unknown } }
    // The stack's first frames say where; the whole line is in `lines`.
    const where = typeof err?.stack === 'string' ? `\n${err.stack.split('\n').slice(0, 4).join('\n')}` : ''
    return `${String(msg)}${where}`.slice(0, 800)
  } catch {
    return text.slice(0, 500)
  }
}

function isFault(text: string): boolean {
  if (text.trim() === '') return false
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    return true
  }
  const level = (record as { level?: unknown } | null)?.level
  return typeof level !== 'number' || level >= errorLevel
}
