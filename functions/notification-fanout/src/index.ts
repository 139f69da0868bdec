import { createFunctionLogger, functionEntry } from '#kit'
import { readNotificationFanoutConfig } from './config.ts'
import { createNotificationFanout } from './notification-fanout.ts'

// Entry point for faas-js-runtime (`node vendor/serve.js ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM, readiness/liveness for the health probes
// (functionEntry adds tracing and metrics around them).
const config = readNotificationFanoutConfig()
const logger = createFunctionLogger('notification-fanout', config.LOG_LEVEL)

export const { init, shutdown, handle, readiness, liveness } = functionEntry(
  'notification-fanout',
  { telemetry: config.telemetry, logger },
  createNotificationFanout({ config, logger }),
)
