import { describe, expect, it } from 'vitest'
import { DatabaseUnreachableError, redactUrl } from '../../../db/src/index.ts'

describe('database URL redaction', () => {
  it('hides the password and keeps user, host, port and database', () => {
    expect(redactUrl('postgres://app:s3cret@db.example:5433/tasks')).toBe(
      'postgres://app:***@db.example:5433/tasks',
    )
  })

  it('leaves a URL without password unchanged', () => {
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/test')).toBe(
      'postgres://postgres@127.0.0.1:5432/test',
    )
  })

  it('hides secrets passed as query parameters', () => {
    const redacted = redactUrl('postgresql://app@h/db?password=s3cret&sslmode=require')
    expect(redacted).not.toContain('s3cret')
    expect(redacted).toContain('sslmode=require')
  })

  it('never echoes the credentials of an unparseable URL', () => {
    expect(redactUrl('postgres://app:s3cret@/bad host')).not.toContain('s3cret')
  })

  it('the unreachable-database error names the URL without its password', () => {
    const error = new DatabaseUnreachableError(
      'postgres://app:s3cret@db:5432/tasks',
      new Error('connect ECONNREFUSED'),
    )
    expect(error.message).toContain('postgres://app:***@db:5432/tasks')
    expect(error.message).not.toContain('s3cret')
    expect(error.url).toBe('postgres://app:***@db:5432/tasks')
  })
})
