// The sink of the end-to-end measurement: like the harness's no-op sink (its own process, 202), but it
// notes each event's arrival time, which the parent collects with takeArrivals().
import { fork } from 'node:child_process'
import { once } from 'node:events'

export interface ArrivalSink {
  readonly url: URL
  /** Arrival times (epoch ms) by CloudEvent subject since the previous call. */
  takeArrivals(): Promise<Map<string, number>>
  close(): Promise<void>
}

type SinkMessage = { kind: 'listening'; port: number } | { kind: 'arrivals'; arrivals: [string, number][] }

export async function startArrivalSink(): Promise<ArrivalSink> {
  const child = fork(new URL('./arrival-sink-process.ts', import.meta.url), [], { stdio: 'inherit' })
  const exited = once(child, 'exit')
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the arrival sink exited with ${code} before listening`)))
    child.once('message', (message: SinkMessage) => {
      if (message.kind === 'listening') resolve(message.port)
    })
  })
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    takeArrivals() {
      return new Promise((resolve) => {
        const onMessage = (message: SinkMessage) => {
          if (message.kind !== 'arrivals') return
          child.off('message', onMessage)
          // The first arrival counts: a redelivery is not a new invocation.
          const bySubject = new Map<string, number>()
          for (const [subject, at] of message.arrivals)
            if (!bySubject.has(subject)) bySubject.set(subject, at)
          resolve(bySubject)
        }
        child.on('message', onMessage)
        child.send('arrivals')
      })
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}
