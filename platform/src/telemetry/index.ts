// OpenTelemetry start-up, standalone like auth/: the Task API and the functions (through function-kit)
// start the SDK from the same OTEL_* variables with the same rules.
export {
  startTelemetry,
  type Telemetry,
  type TelemetrySettings,
  telemetrySettingsOf,
  telemetryVariables,
} from './telemetry.ts'
