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

/**
 * No DATABASE_URL, so the embedded PGlite was to open, but its packages are not installed: a function
 * image built for a cluster leaves them out (they are devDependencies there, pruned from the image).
 */
export class EmbeddedDatabaseUnavailableError extends Error {
  override readonly name = 'EmbeddedDatabaseUnavailableError'

  constructor(missing: string, cause: unknown) {
    super(
      `no database URL was given, so an embedded PGlite was to open, but ${missing} is not installed: ` +
        'set DATABASE_URL to a PostgreSQL, or install the embedded database ' +
        '(`npm ci` without --omit=dev installs @electric-sql/pglite and @electric-sql/pglite-socket)',
      { cause },
    )
  }
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
