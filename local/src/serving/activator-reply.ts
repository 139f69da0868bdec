// Where the activator's answer to one request goes: back over the HTTP connection it came on, or to a
// caller in this process (a local KafkaSource dispatcher) that skips the loopback HTTP hop.
import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { problemJson, relayResponse, responseHeaders, writeProblem } from './activator-http.ts'

export interface ActivatorReply {
  /** Something was already sent: a failed request can no longer be retried elsewhere. */
  readonly started: boolean
  /** The caller gave up (closed the connection, timed out): the answer has nowhere to go. */
  readonly gone: boolean
  /** The status answered, once answered. */
  readonly status: number
  problem(status: number, title: string, detail: string): void
  relay(response: Dispatcher.ResponseData): Promise<void>
}

export function httpReply(res: ServerResponse): ActivatorReply {
  return {
    get started() {
      return res.headersSent
    },
    get gone() {
      return res.destroyed
    },
    get status() {
      return res.statusCode
    },
    problem: (status, title, detail) => writeProblem(res, status, title, detail),
    relay: (response) => relayResponse(response, res),
  }
}

/** A function's answer as an in-process caller receives it: the body read whole. */
export interface InProcessAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
}

/**
 * A reply settled once with the answer, or rejected where an HTTP caller would see its connection cut
 * (the function process lost mid-answer) or give up: after `timeout.ms` it is rejected with
 * `timeout.message`, marked gone, and `timeout.onTimeout` lets the activator stop holding the request.
 */
export function inProcessReply(timeout: {
  readonly ms: number
  readonly message: string
  readonly onTimeout: () => void
}): { reply: ActivatorReply; answer: Promise<InProcessAnswer> } {
  let settle!: (answer: InProcessAnswer) => void
  let cut!: (error: Error) => void
  const answer = new Promise<InProcessAnswer>((resolve, reject) => {
    settle = resolve
    cut = reject
  })
  let status = 0
  let settled = false
  let gone = false
  const end = (): boolean => {
    if (settled) return false
    settled = true
    clearTimeout(timer)
    return true
  }
  const timer = setTimeout(() => {
    if (!end()) return
    gone = true
    timeout.onTimeout()
    cut(new Error(timeout.message))
  }, timeout.ms)
  const reply: ActivatorReply = {
    get started() {
      return status !== 0
    },
    get gone() {
      return gone
    },
    get status() {
      return status
    },
    problem(problemStatus, title, detail) {
      if (!end()) return
      if (status !== 0) return cut(new Error(`${title}: ${detail}`))
      status = problemStatus
      settle({
        status: problemStatus,
        headers: { 'content-type': 'application/problem+json' },
        body: Buffer.from(problemJson(problemStatus, title, detail)),
      })
    },
    async relay(response) {
      status = response.statusCode
      const body = Buffer.from(await response.body.arrayBuffer())
      if (end()) settle({ status: response.statusCode, headers: responseHeaders(response.headers), body })
    },
  }
  return { reply, answer }
}
