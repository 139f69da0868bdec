// Knative's delivery rules, mirrored from its dispatcher (eventing-kafka-broker), in one place for every
// part that applies them (the manifests' loader, the local dispatchers, a function's K_SINK client):
// which responses are retried, how long to wait before each retry, when to give up to the dead-letter
// sink.

export type BackoffPolicy = 'linear' | 'exponential'

export interface DeliveryPolicy {
  /** Retries after the first attempt (Knative: `delivery.retry`; 0 = one attempt). */
  readonly retry: number
  readonly backoffPolicy: BackoffPolicy
  readonly backoffDelayMs: number
  /** Per-request timeout (Knative: `delivery.timeout`). */
  readonly timeoutMs: number
}

/** Knative's defaults when a KafkaSource has no `delivery` block at all. */
export const knativeDefaultDeliveryPolicy: DeliveryPolicy = {
  retry: 10,
  backoffPolicy: 'exponential',
  backoffDelayMs: 300,
  timeoutMs: 600_000,
}

/** With a `delivery` block, each field it leaves out falls back on its own to these. */
export const knativeDeliveryFieldDefaults: DeliveryPolicy = {
  retry: 0,
  backoffPolicy: 'exponential',
  backoffDelayMs: 200,
  timeoutMs: 600_000,
}

/**
 * Delay before retry number `attempt` (1-based). Knative computes linear `delay * i` and exponential
 * `delay * 2^i` (so PT0.3S exponential waits 0.6 s, 1.2 s, 2.4 s: measured 615, 1204, 2403 ms).
 */
export function backoffDelayMs(
  policy: Pick<DeliveryPolicy, 'backoffPolicy' | 'backoffDelayMs'>,
  attempt: number,
): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`retry attempt must be an integer >= 1, got ${attempt}`)
  return policy.backoffPolicy === 'linear'
    ? policy.backoffDelayMs * attempt
    : policy.backoffDelayMs * 2 ** attempt
}

/**
 * How long a source waits between attempts, in total, before an event that keeps failing goes to the
 * dead-letter sink (request time not counted): how long a sink may be down without events being
 * dead-lettered. PT0.5S exponential with 5 retries: 1+2+4+8+16 = 31 s.
 */
export function totalBackoffMs(policy: DeliveryPolicy): number {
  let total = 0
  for (let attempt = 1; attempt <= policy.retry; attempt++) total += backoffDelayMs(policy, attempt)
  return total
}

/** What a single HTTP attempt means for the event. */
export type AttemptVerdict = 'delivered' | 'retry' | 'dead-letter'

/**
 * Knative's dispatcher treats status < 300 as success; retries >= 500, 404, 408, 409, 429 (and network
 * errors, see `verdictForNetworkError`); every other status (400, 401, 403, 413, 415, 422, 3xx...) goes
 * straight to the dead-letter sink. `Retry-After` is not honoured, as in Knative.
 */
export function verdictForStatus(status: number): AttemptVerdict {
  if (status >= 200 && status < 300) return 'delivered'
  if (status >= 500 || status === 404 || status === 408 || status === 409 || status === 429) return 'retry'
  return 'dead-letter'
}

/** Connection failures and timeouts are retried like a 5xx. */
export function verdictForNetworkError(): AttemptVerdict {
  return 'retry'
}
