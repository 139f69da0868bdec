import { readFile } from 'node:fs/promises'
import { type Dispatcher, request } from 'undici'
import { type CloudEventRecord, httpCodec } from '../../events/src/index.ts'
import { verdictForStatus } from '../../platform/src/knative-delivery.ts'
import { failed, type Outcome, unavailable } from './outcome.ts'

// Emitting to K_SINK: a Knative SinkBinding (or a ContainerSource) injects the sink's URL as K_SINK
// and optional extension overrides as K_CE_OVERRIDES; posting a binary-mode CloudEvent there is all a
// function needs to publish, so functions carry no Kafka client.

export type SinkOptions = {
  /** K_SINK: where to POST. */
  readonly url: string
  /** K_CE_OVERRIDES, already parsed: `{ "extensions": { ... } }` set on every emitted event. */
  readonly overrides?: { readonly extensions?: Readonly<Record<string, string>> } | undefined
  readonly dispatcher?: Dispatcher
  /** Milliseconds to wait for the sink's response headers and body. */
  readonly timeoutMs?: number
  /**
   * The sender's OIDC token for the sink: a SinkBinding with sender identity on mounts it at
   * `/oidc/token` and renews it before it expires. No file: events are sent without one.
   */
  readonly tokenFile?: string | undefined
}

/** Where a SinkBinding mounts its token (knative.dev/eventing sinkbinding_lifecycle.go). */
export const sinkBindingTokenFile = '/oidc/token'
// The binding renews the file long before the token expires; re-reading it this often is enough.
const tokenRereadMs = 10_000

export type SinkEmitter = {
  readonly url: string
  /** Sends `event` in binary mode; `done` on 2xx, a transient outcome on 5xx/404/408/409/429/no answer. */
  emit(event: CloudEventRecord): Promise<Outcome>
}

/** Parses K_CE_OVERRIDES; a value that is not a JSON object throws a TypeError naming the variable. */
export function parseSinkOverrides(raw: string | undefined): SinkOptions['overrides'] {
  if (raw === undefined || raw === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new TypeError('K_CE_OVERRIDES is not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('K_CE_OVERRIDES must be a JSON object')
  }
  return parsed as SinkOptions['overrides']
}

export function createSinkEmitter(options: SinkOptions): SinkEmitter {
  const extensions = options.overrides?.extensions ?? {}
  const timeout = options.timeoutMs ?? 10_000
  const token = tokenReader(options.tokenFile ?? sinkBindingTokenFile)
  return {
    url: options.url,
    async emit(event) {
      const message = httpCodec.encode({ ...event, ...extensions }, { mode: 'binary' })
      const bearer = await token()
      try {
        const response = await request(options.url, {
          method: 'POST',
          headers:
            bearer === undefined
              ? message.headers
              : { ...message.headers, authorization: `Bearer ${bearer}` },
          body: message.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        })
        // Drain the body so the connection goes back to the pool.
        await response.body.dump()
        if (response.statusCode >= 200 && response.statusCode < 300) return { kind: 'done', status: 204 }
        // What Knative's dispatcher retries, answered so that our caller retries alike.
        if (verdictForStatus(response.statusCode) === 'retry') {
          return unavailable(`sink ${options.url} answered ${response.statusCode}`)
        }
        // Any other 4xx means the sink refuses what we built: a bug on our side, answered 500 so the
        // input event is retried and finally dead-lettered rather than silently dropped.
        return failed(`sink ${options.url} rejected the event with ${response.statusCode}`)
      } catch (error) {
        return unavailable(
          `sink ${options.url} unreachable: ${error instanceof Error ? error.message : String(error)}`,
        )
      }
    },
  }
}

/** The token file's content, re-read at most every few seconds; undefined while there is no file. */
function tokenReader(path: string): () => Promise<string | undefined> {
  let cached: { value: string | undefined; readAtMs: number } | undefined
  return async () => {
    const now = Date.now()
    if (cached && now - cached.readAtMs < tokenRereadMs) return cached.value
    const value = await readFile(path, 'utf8').then(
      (text) => text.trim() || undefined,
      () => undefined,
    )
    cached = { value, readAtMs: now }
    return value
  }
}
