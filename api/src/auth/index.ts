export {
  type AuthResult,
  type AuthSettings,
  type BearerVerifier,
  createBearerVerifier,
  type Principal,
} from './bearer-verifier.ts'
