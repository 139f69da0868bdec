// The sink of the delivery benchmarks: Node's http server answering 202 with no body, as the sink of
// the Knative measurement did. It counts requests so a benchmark knows when every event arrived.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface NoopSink {
  readonly url: URL
  received(): number
  /** Resolves once `count` requests arrived in total; rejects after `timeoutMs` saying how many did. */
  waitFor(count: number, timeoutMs: number): Promise<void>
  reset(): void
  close(): Promise<void>
}

export async function startNoopSink(): Promise<NoopSink> {
  let received = 0
  let waiter: { count: number; resolve: () => void } | null = null
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      received++
      res.writeHead(202).end()
      if (waiter && received >= waiter.count) {
        waiter.resolve()
        waiter = null
      }
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    received: () => received,
    reset() {
      received = 0
    },
    waitFor(count, timeoutMs) {
      if (received >= count) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null
          reject(new Error(`the sink received ${received} of ${count} events in ${timeoutMs} ms`))
        }, timeoutMs)
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
      })
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
