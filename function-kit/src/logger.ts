import { type Logger, pino } from 'pino'

// The function's own logger for work outside a request (start, migrations, shutdown); inside a
// request faas-js-runtime's context.log (also pino) is used.
export function createFunctionLogger(name: string, level: string): Logger {
  return pino({ name, level })
}

export type { Logger } from 'pino'
