import { type DestinationStream, type Logger, pino } from 'pino'
import { logRedaction } from '../../platform/src/auth/index.ts'

// The function's own logger for work outside a request (start, migrations, shutdown); inside a
// request faas-js-runtime's context.log (also pino) is used. Credentials are redacted as in the Task
// API (platform/src/auth/log-redaction.ts). `destination` defaults to stdout.
export function createFunctionLogger(name: string, level: string, destination?: DestinationStream): Logger {
  return pino({ name, level, redact: logRedaction }, destination)
}

export type { Logger } from 'pino'
