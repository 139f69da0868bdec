import { createFunctionLogger, functionEntry } from '#kit'
import { createAuditLog } from './audit-log.ts'
import { readAuditLogConfig } from './config.ts'

// Entry point for faas-js-runtime (`node vendor/serve.js ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM, readiness/liveness for the health probes
// (functionEntry adds tracing and metrics around them).
const config = readAuditLogConfig()
const logger = createFunctionLogger('audit-log', config.LOG_LEVEL)

export const { init, shutdown, handle, readiness, liveness } = functionEntry(
  'audit-log',
  { telemetry: config.telemetry, logger },
  createAuditLog({ config, logger }),
)
