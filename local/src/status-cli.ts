// `npm run status`: the live status of the running local system (`npm start`), as a table or as JSON,
// once or refreshed every few seconds (`--watch`), as `kubectl get -w` does on a cluster.
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { runCommand, UsageError } from '../../cli/src/command-line.ts'
import { renderStatus, type SystemStatus } from './status.ts'
import { readSystemState } from './system-state.ts'

export const usage = `Usage: npm run status -- [--watch [seconds]] [--json]

The running local system's status (npm start): the Task API's outbox, per KafkaSource its lag and
deliveries, per function its processes, per KafkaSink its writes, per PingSource its last and next tick.

  --watch [seconds]     refresh every <seconds> (default 2) until Ctrl-C
  --json                the status as JSON (with --watch: one line per refresh)
  --state-file <path>   which running system, when several run (.data/local/systems/<pid>.json)
  -h, --help            this text

Exit codes: 0 shown, 1 the system stopped answering, 2 usage errors and no running local system.`

const options = {
  watch: { type: 'string' },
  json: { type: 'boolean' },
  'state-file': { type: 'string' },
} as const

export function status(argv: readonly string[]): Promise<number> {
  return runCommand(argv, { usage, options, optionalValues: { watch: '2' } }, async ({ values }) => {
    const seconds = values.watch === undefined ? undefined : Number(values.watch)
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0))
      throw new UsageError(`--watch ${values.watch}: a number of seconds above 0`)
    const state = await readSystemState(values['state-file'])
    if (!state) {
      console.error('no running local system found: start it with `npm start`')
      return 2
    }
    const show = (current: SystemStatus) => {
      if (values.json) return console.info(JSON.stringify(current, null, seconds === undefined ? 2 : 0))
      const table = renderStatus(current)
      if (seconds === undefined) return console.info(table)
      // A refreshing table on a terminal; one table after the other when piped.
      const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n'
      process.stdout.write(
        `${clear}${new Date().toISOString()}  every ${seconds} s, Ctrl-C to stop\n${table}\n`,
      )
    }
    for (;;) {
      let current: SystemStatus
      try {
        const response = await request(state.status)
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`)
        current = (await response.body.json()) as SystemStatus
      } catch (error) {
        console.error(`the local system at ${state.gateway} did not answer: ${(error as Error).message}`)
        return 1
      }
      show(current)
      if (seconds === undefined) return 0
      await sleep(seconds * 1000)
    }
  })
}

if (import.meta.main) {
  process.once('SIGINT', () => process.exit(0))
  process.exitCode = await status(process.argv.slice(2))
}
