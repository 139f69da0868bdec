import { createFunctionLogger, type FunctionContext, type FunctionResponse } from '#kit'
import { createAuditLog } from './audit-log.ts'
import { readAuditLogConfig } from './config.ts'

// Entry point for faas-js-runtime (`faas-js-runtime ./build/index.js`): it calls init() before
// listening, handle() per request, shutdown() on SIGTERM.
const config = readAuditLogConfig()
const auditLog = createAuditLog({ config, logger: createFunctionLogger('audit-log', config.LOG_LEVEL) })

export const init = (): Promise<void> => auditLog.init()
export const shutdown = (): Promise<void> => auditLog.shutdown()
export const handle = (context: FunctionContext, cloudevent?: object): Promise<FunctionResponse> =>
  auditLog.handle(context, cloudevent)
