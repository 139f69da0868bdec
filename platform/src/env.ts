// Reading environment variables: values are strings, and an empty one means "not set" (Knative renders
// unset ConfigMap keys as empty values). Invalid settings fail a start with every problem listed.
import type { z } from 'zod'

/** For z.preprocess: a string trimmed, and undefined when nothing is left. */
export function trimmedOrUnset(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

/** For z.preprocess: '' as undefined, anything else as it is (a password keeps its spaces). */
export function unsetWhenEmpty(value: unknown): unknown {
  return value === '' ? undefined : value
}

/** Every invalid variable of a process's settings, one `NAME: problem` line each. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError'
  readonly issues: string[]
  constructor(issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`)
    this.issues = issues
  }

  /** From a failed zod parse of the environment. */
  static of(error: z.ZodError): ConfigError {
    return new ConfigError(error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
}
