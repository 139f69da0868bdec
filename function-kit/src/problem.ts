import type { FunctionResponse } from './outcome.ts'

// HTTP errors of a function's plain-HTTP reads, rendered as RFC 9457 problem+json like the Task API.

export type FieldError = { readonly field: string; readonly message: string }

export function problem(
  status: number,
  title: string,
  detail?: string,
  errors?: readonly FieldError[],
): FunctionResponse {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: {
      type: 'about:blank',
      title,
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(errors === undefined ? {} : { errors }),
    },
  }
}

export function json(body: unknown, status = 200): FunctionResponse {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body }
}
