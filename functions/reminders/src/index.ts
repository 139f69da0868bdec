import { createFunctionLogger, type FunctionContext, type FunctionResponse } from '#kit'
import { readRemindersConfig } from './config.ts'
import { createReminders } from './reminders.ts'

// Entry point for faas-js-runtime (`faas-js-runtime ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM.
const config = readRemindersConfig()
const reminders = createReminders({ config, logger: createFunctionLogger('reminders', config.LOG_LEVEL) })

export const init = (): Promise<void> => reminders.init()
export const shutdown = (): Promise<void> => reminders.shutdown()
export const handle = (context: FunctionContext, cloudevent?: object): Promise<FunctionResponse> =>
  reminders.handle(context, cloudevent)
