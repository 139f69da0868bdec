// Child process of measureDispatcherProcess(): the local KafkaSource dispatcher alone in a process, as a
// dispatcher per source would run, so its memory is its own. Delivers every record of the topic from a
// fresh group, then reports the time, its CPU and its peak RSS (the kernel's high-water mark).
import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { knativeDefaultDeliveryPolicy } from '../../local/src/eventing/delivery-policy.ts'
import { startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import { createKafkaEventLog } from '../../local/src/eventlog/index.ts'
import type { Ordering } from '../baseline/measure.ts'

export type DispatcherJob = {
  brokers: string[]
  topic: string
  records: number
  sink: string
  ordering: Ordering
  maxInFlight: number
  timeoutMs: number
}
export type DispatcherReport =
  | { kind: 'progress'; delivered: number }
  | { kind: 'done'; elapsedMs: number; cpuMs: number; peakRssBytes: number }
  | { kind: 'failed'; message: string }

const send = (report: DispatcherReport) => process.send?.(report)

async function run(job: DispatcherJob): Promise<void> {
  const silent = pino({ level: 'silent' })
  const log = createKafkaEventLog({
    brokers: job.brokers,
    clientId: 'taskflow-bench-dispatcher',
    logger: silent,
  })
  const dispatcher = await startKafkaSource({
    spec: {
      name: 'bench',
      namespace: 'bench',
      topics: [job.topic],
      consumerGroup: `bench-${randomUUID()}`,
      initialOffset: 'earliest',
      ordering: job.ordering,
      delivery: knativeDefaultDeliveryPolicy,
      sink: new URL(job.sink),
      deadLetterSink: null,
    },
    log,
    logger: silent,
    maxInFlight: job.maxInFlight,
  })
  try {
    while (dispatcher.consumer().assignment().length === 0) await new Promise((r) => setTimeout(r, 1))
    const startedAt = performance.now()
    const cpuBefore = process.cpuUsage()
    const deadline = Date.now() + job.timeoutMs
    let reportedAt = 0
    for (;;) {
      const { delivered, dropped } = dispatcher.stats()
      if (dropped > 0) throw new Error(`${dropped} events dropped`)
      if (delivered >= job.records) break
      if (Date.now() > deadline) throw new Error(`${delivered} of ${job.records} delivered in time`)
      if (Date.now() - reportedAt > 200) {
        send({ kind: 'progress', delivered })
        reportedAt = Date.now()
      }
      await new Promise((r) => setTimeout(r, 2))
    }
    const elapsedMs = performance.now() - startedAt
    const cpu = process.cpuUsage(cpuBefore)
    send({
      kind: 'done',
      elapsedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })
  } finally {
    await dispatcher.stop()
    await log.close()
  }
}

process.once('message', (job: DispatcherJob) => {
  run(job).then(
    () => process.exit(0),
    (error: unknown) => {
      send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
      process.exit(1)
    },
  )
})
process.on('disconnect', () => process.exit(0))
