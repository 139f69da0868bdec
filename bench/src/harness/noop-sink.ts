// The sink of the delivery benchmarks: Node's http server answering 202 with no body, as the sink of
// the Knative measurement did. It runs in a child process of its own, as a real sink would, so its
// work does not share the event loop of the client being measured (it still shares the machine's CPUs).
import { fork } from 'node:child_process'
import { once } from 'node:events'

export interface NoopSink {
  readonly url: URL
  readonly pid: number
  /** CPU time (user + system) the sink process used so far, in ms. */
  cpuMs(): Promise<number>
  close(): Promise<void>
}

type SinkMessage = { kind: 'listening'; port: number } | { kind: 'cpu'; ms: number }

export async function startNoopSink(): Promise<NoopSink> {
  const child = fork(new URL('./noop-sink-process.ts', import.meta.url), [], { stdio: 'inherit' })
  const listening = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the no-op sink exited with ${code} before listening`)))
    child.once('message', (message: SinkMessage) => {
      if (message.kind === 'listening') resolve(message.port)
    })
  })
  const exited = once(child, 'exit')
  return {
    url: new URL(`http://127.0.0.1:${listening}/`),
    pid: child.pid!,
    cpuMs() {
      return new Promise((resolve) => {
        const onMessage = (message: SinkMessage) => {
          if (message.kind !== 'cpu') return
          child.off('message', onMessage)
          resolve(message.ms)
        }
        child.on('message', onMessage)
        child.send('cpu')
      })
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}
