// Reading environment variables: values are strings, and an empty one means "not set" (Knative renders
// unset ConfigMap keys as empty values).

/** For z.preprocess: a string trimmed, and undefined when nothing is left. */
export function trimmedOrUnset(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}
