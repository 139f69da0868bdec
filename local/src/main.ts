// `npm start`: the whole system on this machine from the repository's YAML, until Ctrl-C.
import { formatDuration } from '../../cli/src/progress.ts'
import { logRedaction } from '../../platform/src/auth/index.ts'
import { LocalConfigError, readLocalConfig, usage } from './config.ts'
import { acquireDatabaseLock, acquireDataLock, type DataLock, DataLockHeldError } from './data-lock.ts'
import { createLogger, prettyFunctionOutput, resolveLogFormat } from './log-output.ts'
import { holdPort, portTakenHint } from './port-check.ts'
import { renderStatus } from './status.ts'
import { statusChangeDetector } from './status-change.ts'
import type { LocalSystem } from './system.ts'
import { removeSystemState, writeSystemState } from './system-state.ts'

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.info(usage)
  process.exit(0)
}
let config: ReturnType<typeof readLocalConfig>
try {
  config = readLocalConfig(process.env, process.argv.slice(2))
} catch (error) {
  if (error instanceof LocalConfigError) {
    console.error(error.message)
    process.exit(2)
  }
  throw error
}
const logFormat = resolveLogFormat(config.logFormat, process.stdout.isTTY === true)
const logger = createLogger({
  format: logFormat,
  level: config.logLevel,
  base: { service: 'taskflow-local' },
  redact: logRedaction,
})

// Checked before any slow step: a taken port or a database in use is said at once (exit code 2).
const port = await holdPort(config.host, config.port)
if (typeof port === 'string') {
  console.error(await portTakenHint(config.host, config.port, port))
  process.exit(2)
}
// One system per database: the PGlite data folder's lock, or the DATABASE_URL's.
let dataLock: DataLock
try {
  dataLock =
    config.databaseUrl === undefined
      ? acquireDataLock(config.pgliteDataDir)
      : acquireDatabaseLock(config.databaseUrl)
} catch (error) {
  if (!(error instanceof DataLockHeldError)) throw error
  console.error(`npm start: ${error.message}`)
  process.exit(2)
}
// Every way out (Ctrl-C, SIGTERM, a failed start) goes through process.exit.
process.on('exit', () => dataLock.release())

let system: LocalSystem | undefined
let stateTimer: NodeJS.Timeout | undefined
let statusTimer: NodeJS.Timeout | undefined
let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(statusTimer)
  clearInterval(stateTimer)
  logger.info({ signal }, 'stopping')
  if (system !== undefined) {
    await system.stop()
    await removeSystemState()
  }
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))

const startBegan = Date.now()
// Loaded only now: its modules (PGlite, the API, kafkajs) take a second to load, the checks above do not.
const { startLocalSystem } = await import('./system.ts')
const running = await startLocalSystem(config, logger, {
  listening: port,
  // Function processes log JSON of their own: readable too when this process logs for a person.
  ...(logFormat === 'pretty' ? { functionOutput: prettyFunctionOutput(process.stdout.isTTY === true) } : {}),
}).catch((error: unknown) => {
  logger.fatal({ err: error }, 'the local system could not start')
  process.exit(1)
})
system = running
const startedAt = new Date().toISOString()
async function saveState(): Promise<void> {
  const invokeTokens: Record<string, string> = {}
  for (const name of running.functions.keys()) {
    const token = await running.invokeToken(name)
    if (token !== undefined) invokeTokens[name] = token
  }
  await writeSystemState({
    pid: process.pid,
    startedAt,
    gateway: running.url.href,
    functions: Object.fromEntries([...running.functions].map(([name, host]) => [name, host.url])),
    status: new URL('/_local/status', running.url).href,
    invokeTokens,
  })
}
await saveState()
// The invoke tokens last an hour: renewed well before.
stateTimer = setInterval(() => void saveState().catch(() => {}), 15 * 60_000)
stateTimer.unref()
const url = running.url.href
console.info(
  `\ntaskflow is up at ${url} (started in ${formatDuration(Date.now() - startBegan)})\n` +
    `  try: curl -s -X POST ${url}tasks -H 'authorization: Bearer dev.alice' ` +
    `-H 'content-type: application/json' -d '{"title":"hello","assignee":"bob"}'\n` +
    `  then: curl -s ${url}notifications -H 'authorization: Bearer dev.bob'\n`,
)

// Only what changed: an idle system stays quiet, and memory moving by a megabyte is no change.
const statusChanges = statusChangeDetector()
if (config.statusIntervalMs > 0) {
  statusTimer = setInterval(async () => {
    const status = await running.status()
    if (!statusChanges.changed(status)) return
    if (logFormat === 'pretty') process.stderr.write(`\n${renderStatus(status)}\n`)
    else logger.info({ status }, 'status')
  }, config.statusIntervalMs)
}
