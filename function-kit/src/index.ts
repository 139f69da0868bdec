// function-kit: what every taskflow Knative Function needs. Functions import it as `#kit`; it is
// bundled into functions/<name>/vendor/function-kit.js by scripts/vendor-functions.ts so each
// function folder builds alone (`kn func deploy` sends only that folder to the builder).

// Functions that emit (reminders) build their events with the contract's own factory.
export {
  type CreateEventInput,
  createEvent,
  isTaskChangeEvent,
  type TaskChangeEvent,
} from '../../events/src/index.ts'
export { authVariables } from '../../platform/src/auth/index.ts'
// The Task API's OpenTelemetry settings, shared: the same OTEL_* variables switch tracing on
// (functionEntry starts the SDK).
export { telemetrySettingsOf, telemetryVariables } from '../../platform/src/telemetry/index.ts'
export {
  type AuthFailure,
  type AuthResult,
  type AuthSettings,
  authenticate,
  authProblem,
  type Caller,
  createTokenVerifier,
  type TokenVerifier,
} from './auth.ts'
export {
  ConfigError,
  logLevel,
  nonNegativeInt,
  optionalUrl,
  positiveInt,
  readConfig,
  senderIdentityVariables,
  withAuthSettings,
  withSenderIdentity,
} from './config.ts'
export {
  createGroupCommit,
  type DatabaseHandle,
  type FunctionDatabase,
  type FunctionDatabaseOptions,
  functionDatabase,
  isTransientDatabaseError,
  openFunctionDatabase,
  type PreparedStatement,
  type PrepareStatement,
} from './database.ts'
export { type FunctionImplementation, functionEntry } from './entry.ts'
export { createEventGate, type EventGate } from './event-gate.ts'
export {
  createSenderVerifier,
  type SenderIdentitySettings,
  type SenderVerdict,
  type SenderVerifier,
} from './event-sender.ts'
export { type EventKey, type InboxResult, processOnce } from './inbox.ts'
export {
  type CloudEventRecord,
  decodeTaskflowEvent,
  type EventType,
  EventTypes,
  type IncomingEvent,
  outcomeOfCodecError,
  recordOf,
  type TaskflowEvent,
} from './incoming-event.ts'
export {
  type FunctionContext,
  type InvocationLog,
  queryParameter,
  respond,
  type TransientErrorTest,
} from './invocation.ts'
export { createFunctionLogger, type Logger } from './logger.ts'
export {
  done,
  type FunctionResponse,
  failed,
  type Outcome,
  type OutcomeKind,
  rejected,
  toResponse,
  unavailable,
  unprocessable,
} from './outcome.ts'
export { type FieldError, json, problem } from './problem.ts'
export { answerInvalidCloudEventsWith400 } from './runtime-event-validation.ts'
export { decodeSeqCursor, encodeSeqCursor, parseSeq } from './seq-cursor.ts'
export { createSinkEmitter, parseSinkOverrides, type SinkEmitter, type SinkOptions } from './sink.ts'
