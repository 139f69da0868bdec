import { createFunctionLogger, functionEntry } from '#kit'
import { readRemindersConfig } from './config.ts'
import { createReminders } from './reminders.ts'

// Entry point for faas-js-runtime (`node vendor/serve.js ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM, readiness/liveness for the health probes
// (functionEntry adds tracing and metrics around them).
const config = readRemindersConfig()
const logger = createFunctionLogger('reminders', config.LOG_LEVEL)

export const { init, shutdown, handle, readiness, liveness } = functionEntry(
  'reminders',
  { telemetry: config.telemetry, logger },
  createReminders({ config, logger }),
)
