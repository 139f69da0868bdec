// Function processes share the terminal with the rest of the local system: every line they print is
// prefixed with the function name (and the pid, as `kubectl logs --prefix` names the pod).
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

export type OutputLine = (line: string, stream: 'stdout' | 'stderr') => void

/** A line to this process's own stream of the same kind. */
export const writeOutputLine: OutputLine = (line, stream) =>
  (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`)

export function prefixLines(prefix: string, text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => `[${prefix}] ${line}\n`)
}

/** Forwards each line of a child's stream, prefixed, to `onLine` (default: the parent's own stream). */
export function forwardPrefixed(
  stream: Readable,
  prefix: string,
  kind: 'stdout' | 'stderr',
  onLine: OutputLine | undefined,
): void {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  const write = onLine ?? writeOutputLine
  lines.on('line', (line) => write(`[${prefix}] ${line}`, kind))
}
