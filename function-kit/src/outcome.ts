// The one outcome type of a function invocation, and the HTTP status each one becomes.
//
// Knative's dispatcher (KafkaSource, Broker, Channel) retries 404, 408, 409, 429 and every 5xx with
// its backoff, and sends any other 4xx straight to the dead-letter sink. So a permanent failure must
// answer a non-retried 4xx (400 for an event we cannot read, 422 for one whose data breaks its
// schema), and a transient one a 5xx (503 while a dependency is down) so the same event comes again.

export type Outcome =
  | { readonly kind: 'done'; readonly status: 200 | 202 | 204; readonly body?: unknown }
  | {
      readonly kind: 'permanent'
      readonly status: 400 | 422
      readonly reason: string
      readonly detail?: unknown
    }
  | { readonly kind: 'transient'; readonly status: 500 | 503; readonly reason: string }

export type OutcomeKind = Outcome['kind']

export function done(body?: unknown): Outcome {
  return body === undefined ? { kind: 'done', status: 204 } : { kind: 'done', status: 200, body }
}

/** The event can never be processed (unknown type, unreadable envelope): 400, dead-lettered at once. */
export function rejected(reason: string, detail?: unknown): Outcome {
  return { kind: 'permanent', status: 400, reason, detail }
}

/** The event is readable but its data breaks its schema: 422, dead-lettered at once. */
export function unprocessable(reason: string, detail?: unknown): Outcome {
  return { kind: 'permanent', status: 422, reason, detail }
}

/** A dependency is down (database, sink, webhook): 503, so the dispatcher delivers it again. */
export function unavailable(reason: string): Outcome {
  return { kind: 'transient', status: 503, reason }
}

/** An unexpected failure: 500, retried like any 5xx, so a bug never silently drops an event. */
export function failed(reason: string): Outcome {
  return { kind: 'transient', status: 500, reason }
}

/** What faas-js-runtime sends back when `handle` returns `{ statusCode, headers, body }`. */
export type FunctionResponse = {
  statusCode: number
  headers: Record<string, string>
  body: unknown
}

// faas-js-runtime answers 204 with an empty body only when handle returns nothing; a returned object
// with a statusCode is sent as it is, so every outcome goes out through this one mapping.
export function toResponse(outcome: Outcome): FunctionResponse {
  switch (outcome.kind) {
    case 'done':
      return outcome.status === 204 || outcome.body === undefined
        ? { statusCode: outcome.status, headers: {}, body: '' }
        : { statusCode: outcome.status, headers: { 'content-type': 'application/json' }, body: outcome.body }
    case 'permanent':
    case 'transient':
      return {
        statusCode: outcome.status,
        headers: { 'content-type': 'application/problem+json' },
        body: {
          type: 'about:blank',
          title: outcome.kind === 'permanent' ? 'Event rejected' : 'Event not processed, retry',
          status: outcome.status,
          detail: outcome.reason,
          ...(outcome.kind === 'permanent' && outcome.detail !== undefined ? { errors: outcome.detail } : {}),
        },
      }
  }
}
