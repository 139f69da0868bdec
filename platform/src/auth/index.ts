export {
  type AuthResult,
  type AuthSettings,
  type BearerVerifier,
  createBearerVerifier,
  type Principal,
} from './bearer-verifier.ts'
export { credentialKeys, logRedaction } from './log-redaction.ts'
export { type AuthVariables, authIssues, authSettingsOf, authVariables } from './settings.ts'
