// HTTP delivery of one CloudEvent (binary mode) to a sink, with Knative's retry semantics.
// The HTTP client is the hot path of a dispatcher in Node: undici Pools with keep-alive, one per sink
// origin, and no `fetch` (measured ~2.7x the CPU of a keep-alive agent for the same deliveries).
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import {
  backoffDelayMs,
  type DeliveryPolicy,
  verdictForNetworkError,
  verdictForStatus,
} from '../../../platform/src/knative-delivery.ts'
import type { InProcessSink } from '../serving/function-host.ts'

/** A CloudEvent already encoded for HTTP binary mode. */
export interface HttpEventRequest {
  readonly headers: Record<string, string>
  readonly body: Buffer | string | null
}

export interface AttemptResult {
  readonly status: number | null
  /** At most `errorBodyLimit` bytes of the response body, kept only for failures. */
  readonly errorBody: Buffer | null
  /** `kne-*` response headers: Knative copies them onto dead-lettered events. */
  readonly kneHeaders: Record<string, string>
  readonly error: Error | null
}

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number; readonly attempts: number }
  | {
      readonly kind: 'failed'
      /** `retries-exhausted` after the policy's retries; `not-retryable` for a 4xx Knative never retries. */
      readonly reason: 'retries-exhausted' | 'not-retryable'
      readonly attempts: number
      readonly last: AttemptResult
    }
  | { readonly kind: 'aborted'; readonly attempts: number }

const errorBodyLimit = 1024

export interface SinkClientOptions {
  /** Connections per sink origin: at least the dispatcher's in-flight bound. */
  readonly connections: number
  /**
   * Sinks in this process (local activators), by origin (`http://127.0.0.1:port`): handed each request
   * by a call instead of a loopback socket; same answers, same timeout, a rejection as a network error.
   */
  readonly inProcess?: ReadonlyMap<string, InProcessSink>
}

export class SinkClient {
  readonly #pools = new Map<string, Pool>()
  readonly #connections: number
  readonly #inProcess: ReadonlyMap<string, InProcessSink>

  constructor(options: SinkClientOptions) {
    this.#connections = options.connections
    this.#inProcess = options.inProcess ?? new Map()
  }

  /** One attempt: never throws; network errors and timeouts come back as `error`. */
  attempt(url: URL, request: HttpEventRequest, timeoutMs: number): Promise<AttemptResult> {
    const local = this.#inProcess.get(url.origin)
    return local
      ? attemptInProcess(local, url, request, timeoutMs)
      : this.#attemptHttp(url, request, timeoutMs)
  }

  async #attemptHttp(url: URL, request: HttpEventRequest, timeoutMs: number): Promise<AttemptResult> {
    const pool = this.#poolFor(url.origin)
    try {
      const response = await pool.request({
        method: 'POST',
        path: url.pathname + url.search,
        headers: request.headers,
        body: request.body,
        // undici checks these on a coarse (~0.5 s) timer: fine for Knative timeouts, which are seconds.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      const ok = response.statusCode >= 200 && response.statusCode < 300
      // A KafkaSource discards the sink's reply; on failure Knative keeps up to 1 KiB of it.
      const errorBody = ok ? null : await readAtMost(response.body, errorBodyLimit)
      if (ok) await response.body.dump()
      return {
        status: response.statusCode,
        errorBody,
        kneHeaders: kneHeadersOf(response.headers),
        error: null,
      }
    } catch (error) {
      return networkFailure(error)
    }
  }

  /** Attempts plus retries per the policy; backoff sleeps end early when `signal` aborts. */
  async deliver(
    url: URL,
    request: HttpEventRequest,
    policy: DeliveryPolicy,
    hooks: { signal?: AbortSignal; onRetry?: (attempt: number, last: AttemptResult) => void } = {},
  ): Promise<DeliveryOutcome> {
    let attempts = 0
    for (;;) {
      if (hooks.signal?.aborted) return { kind: 'aborted', attempts }
      const result = await this.attempt(url, request, policy.timeoutMs)
      attempts++
      const verdict = result.status === null ? verdictForNetworkError() : verdictForStatus(result.status)
      if (verdict === 'delivered') return { kind: 'delivered', status: result.status!, attempts }
      if (verdict === 'dead-letter')
        return { kind: 'failed', reason: 'not-retryable', attempts, last: result }
      if (attempts > policy.retry)
        return { kind: 'failed', reason: 'retries-exhausted', attempts, last: result }
      hooks.onRetry?.(attempts, result)
      try {
        await sleep(backoffDelayMs(policy, attempts), undefined, { signal: hooks.signal })
      } catch {
        return { kind: 'aborted', attempts }
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()))
    this.#pools.clear()
  }

  #poolFor(origin: string): Pool {
    let pool = this.#pools.get(origin)
    if (!pool) {
      pool = new Pool(origin, { connections: this.#connections, pipelining: 1, keepAliveTimeout: 30_000 })
      this.#pools.set(origin, pool)
    }
    return pool
  }
}

/**
 * The headers Knative adds to an event it dead-letters: where it was going, the last status, and the
 * base64 of at most 1 KiB of the last response body. A `kne-<name>` response header becomes extension
 * `<name>`, as Knative's dispatcher names it (prefix dropped, lower case; here also only [a-z0-9], the
 * characters an extension name may hold).
 */
export function deadLetterHeaders(
  request: HttpEventRequest,
  destination: URL,
  last: AttemptResult,
): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, 'ce-knativeerrordest': destination.href }
  if (last.status !== null) headers['ce-knativeerrorcode'] = String(last.status)
  if (last.errorBody && last.errorBody.length > 0) {
    headers['ce-knativeerrordata'] = last.errorBody.toString('base64')
  } else if (last.error) {
    headers['ce-knativeerrordata'] = Buffer.from(last.error.message)
      .subarray(0, errorBodyLimit)
      .toString('base64')
  }
  for (const [name, value] of Object.entries(last.kneHeaders)) {
    const extension = name
      .toLowerCase()
      .slice('kne-'.length)
      .replace(/[^a-z0-9]/g, '')
    // Never over an attribute the event already has (a sink answering `kne-type` renames nothing).
    if (extension !== '' && headers[`ce-${extension}`] === undefined) headers[`ce-${extension}`] = value
  }
  return headers
}

async function attemptInProcess(
  sink: InProcessSink,
  url: URL,
  request: HttpEventRequest,
  timeoutMs: number,
): Promise<AttemptResult> {
  try {
    const answer = await sink.invoke(
      { path: url.pathname + url.search, headers: request.headers, body: request.body },
      timeoutMs,
    )
    const ok = answer.status >= 200 && answer.status < 300
    return {
      status: answer.status,
      errorBody: ok ? null : answer.body.subarray(0, errorBodyLimit),
      kneHeaders: kneHeadersOf(answer.headers),
      error: null,
    }
  } catch (error) {
    return networkFailure(error)
  }
}

function networkFailure(error: unknown): AttemptResult {
  return {
    status: null,
    errorBody: null,
    kneHeaders: {},
    error: error instanceof Error ? error : new Error(String(error)),
  }
}

async function readAtMost(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    if (size < limit) {
      chunks.push(chunk)
      size += chunk.length
    }
  }
  return Buffer.concat(chunks).subarray(0, limit)
}

function kneHeadersOf(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kne: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && name.toLowerCase().startsWith('kne-')) {
      kne[name] = Array.isArray(value) ? value.join(',') : value
    }
  }
  return kne
}
