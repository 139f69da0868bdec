// `npm start`: the whole system on this machine from the repository's YAML, until Ctrl-C.
import { pino } from 'pino'
import { logRedaction } from '../../api/src/auth/index.ts'
import { LocalConfigError, readLocalConfig, usage } from './config.ts'
import { renderStatus } from './status.ts'
import { startLocalSystem } from './system.ts'
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
const logger = pino({ level: config.logLevel, base: { service: 'taskflow-local' }, redact: logRedaction })

const system = await startLocalSystem(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'the local system could not start')
  process.exit(1)
})
const startedAt = new Date().toISOString()
async function saveState(): Promise<void> {
  const invokeTokens: Record<string, string> = {}
  for (const name of system.functions.keys()) {
    const token = await system.invokeToken(name)
    if (token !== undefined) invokeTokens[name] = token
  }
  await writeSystemState({
    pid: process.pid,
    startedAt,
    gateway: system.url.href,
    functions: Object.fromEntries([...system.functions].map(([name, host]) => [name, host.url])),
    status: new URL('/_local/status', system.url).href,
    invokeTokens,
  })
}
await saveState()
// The invoke tokens last an hour: renewed well before.
const stateTimer = setInterval(() => void saveState().catch(() => {}), 15 * 60_000)
stateTimer.unref()
console.info(
  `\ntaskflow is up at ${system.url.href}\n` +
    `  try: curl -s -X POST ${system.url.href}tasks -H 'authorization: Bearer dev.alice' ` +
    `-H 'content-type: application/json' -d '{"title":"hello","assignee":"bob"}'\n` +
    `  then: curl -s ${system.url.href}notifications -H 'authorization: Bearer dev.bob'\n`,
)

let statusTimer: NodeJS.Timeout | undefined
let lastStatus = ''
if (config.statusIntervalMs > 0) {
  statusTimer = setInterval(async () => {
    const status = await system.status()
    const rendered = renderStatus(status)
    // Only what changed: an idle system stays quiet.
    if (rendered === lastStatus) return
    lastStatus = rendered
    if (process.stderr.isTTY) process.stderr.write(`\n${rendered}\n`)
    else logger.info({ status }, 'status')
  }, config.statusIntervalMs)
}

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(statusTimer)
  clearInterval(stateTimer)
  logger.info({ signal }, 'stopping')
  await system.stop()
  await removeSystemState()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
