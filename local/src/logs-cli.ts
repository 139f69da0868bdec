// `npm run logs -- <function>`: the recent output of a function's processes in the running local system
// (npm start), as `kubectl logs` shows a pod's, with `--follow` to keep reading.
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { runCommand, UsageError } from '../../cli/src/command-line.ts'
import type { LogLine } from './function-logs.ts'
import { prettyFunctionOutput } from './log-output.ts'
import { writeOutputLine } from './serving/output-prefix.ts'
import { readSystemState } from './system-state.ts'

export const usage = `Usage: npm run logs -- <function> [--follow] [--tail <lines>] [--json]

The recent output of a function's processes in the running local system (npm start), oldest first,
each line prefixed with the function and the process id. npm start keeps the last 2,000 lines per function.

  -f, --follow          keep printing new lines until Ctrl-C
  --tail <lines>        only the last <lines> lines kept (default: all)
  --json                one JSON object per line ({seq, at, stream, line})
  --state-file <path>   which running system, when several run (.data/local/systems/<pid>.json)
  -h, --help            this text

Exit codes: 0 shown, 1 the system stopped answering, 2 usage errors, no running local system or no such
function.`

const options = {
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string' },
  json: { type: 'boolean' },
  'state-file': { type: 'string' },
} as const

const followEveryMs = 500

type LogPage = { lines: LogLine[]; next: number }

export function logs(argv: readonly string[]): Promise<number> {
  return runCommand(argv, { usage, options, maxPositionals: 1 }, async ({ values, positionals }) => {
    const name = positionals[0]
    if (name === undefined) throw new UsageError('name the function whose logs to show')
    const tail = values.tail === undefined ? undefined : Number(values.tail)
    if (tail !== undefined && !(Number.isSafeInteger(tail) && tail >= 0))
      throw new UsageError(`--tail ${values.tail}: a number of lines (0 or more)`)
    const state = await readSystemState(values['state-file'])
    if (!state) {
      console.error('no running local system found: start it with `npm start`')
      return 2
    }
    const print = values.json
      ? (line: LogLine) => process.stdout.write(`${JSON.stringify(line)}\n`)
      : lineWriter()
    let after = 0
    for (let first = true; ; first = false) {
      let page: LogPage
      try {
        const url = new URL(`/_local/logs/${encodeURIComponent(name)}?after=${after}`, state.gateway)
        const response = await request(url)
        if (response.statusCode === 404) {
          const problem = (await response.body.json()) as { detail?: string }
          console.error(problem.detail ?? `no function ${name}`)
          return 2
        }
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`)
        page = (await response.body.json()) as LogPage
      } catch (error) {
        console.error(`the local system at ${state.gateway} did not answer: ${(error as Error).message}`)
        return 1
      }
      const lines = first && tail !== undefined ? page.lines.slice(page.lines.length - tail) : page.lines
      for (const line of lines) print(line)
      after = page.next
      if (!values.follow) return 0
      await sleep(followEveryMs)
    }
  })
}

/** Lines as npm start prints them: its pino JSON made readable on a terminal, as they are otherwise. */
function lineWriter(): (line: LogLine) => void {
  if (!process.stdout.isTTY || process.env.LOG_FORMAT === 'json')
    return ({ line, stream }) => writeOutputLine(line, stream)
  const pretty = prettyFunctionOutput(true)
  return ({ line, stream }) => pretty(line, stream)
}

if (import.meta.main) {
  process.once('SIGINT', () => process.exit(0))
  process.exitCode = await logs(process.argv.slice(2))
}
