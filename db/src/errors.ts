import { redactUrl } from './redact-url.ts'

// Typed errors of the database layer. Callers branch on the class (or on isTransientDatabaseError),
// never on message text.

export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError'
  readonly url: string

  constructor(url: string, cause: unknown) {
    const redacted = redactUrl(url)
    super(`database at ${redacted} is unreachable: ${describeCause(cause)}`, { cause })
    this.url = redacted
  }
}

export class MigrationFileError extends Error {
  override readonly name = 'MigrationFileError'
  readonly file: string

  constructor(file: string, problem: string) {
    super(`migration file ${file}: ${problem}`)
    this.file = file
  }
}

export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError'
  readonly schema: string
  readonly file: string

  constructor(schema: string, file: string, cause: unknown) {
    super(`migration ${file} for schema "${schema}" failed: ${describeCause(cause)}`, { cause })
    this.schema = schema
    this.file = file
  }
}

export class InvalidDatabaseOptionsError extends Error {
  override readonly name = 'InvalidDatabaseOptionsError'
}

export function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return cause.errors.map(describeCause).join('; ')
  }
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${cause.message} (${code})`
      : cause.message
  }
  return String(cause)
}
