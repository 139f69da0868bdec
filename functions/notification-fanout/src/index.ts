import { createFunctionLogger, type FunctionContext, type FunctionResponse } from '#kit'
import { readNotificationFanoutConfig } from './config.ts'
import { createNotificationFanout } from './notification-fanout.ts'

// Entry point for faas-js-runtime (`faas-js-runtime ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM.
const config = readNotificationFanoutConfig()
const fanout = createNotificationFanout({
  config,
  logger: createFunctionLogger('notification-fanout', config.LOG_LEVEL),
})

export const init = (): Promise<void> => fanout.init()
export const shutdown = (): Promise<void> => fanout.shutdown()
export const handle = (context: FunctionContext, cloudeventOrBody?: unknown): Promise<FunctionResponse> =>
  fanout.handle(context, cloudeventOrBody)
