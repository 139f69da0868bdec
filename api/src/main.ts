// Process entry: `node api/src/main.ts`. Config errors end the process before anything starts.
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { startApi } from './start-api.ts'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}

const logger = createLogger({ level: config.logLevel })
const api = await startApi(config, { logger })

// Kubernetes sends SIGTERM, then SIGKILL after terminationGracePeriodSeconds (30 s by default).
let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting')
      process.exit(1)
    }, 25_000)
    forced.unref()
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
