// Child process of measureDispatcherProcess(): the local KafkaSource dispatcher alone in a process, as a
// dispatcher per source would run, so its memory is its own. Delivers every record of the topic from a
// fresh group, then reports the time, its CPU and its peak RSS (the kernel's high-water mark).
import { pino } from 'pino'
import { createKafkaEventLog } from '../../local/src/eventlog/index.ts'
import type { Ordering } from '../baseline/measure.ts'
import { deliverAll } from './deliver-all.ts'

export type DispatcherJob = {
  brokers: string[]
  topic: string
  records: number
  sink: string
  ordering: Ordering
  timeoutMs: number
}
export type DispatcherReport =
  | { kind: 'progress'; delivered: number }
  | { kind: 'done'; elapsedMs: number; cpuMs: number; peakRssBytes: number }
  | { kind: 'failed'; message: string }

const send = (report: DispatcherReport) => process.send?.(report)

async function run(job: DispatcherJob): Promise<void> {
  const log = createKafkaEventLog({
    brokers: job.brokers,
    clientId: 'taskflow-bench-dispatcher',
    logger: pino({ level: 'silent' }),
  })
  let reportedAt = 0
  try {
    const { elapsedMs, cpuMs } = await deliverAll({
      log,
      topic: job.topic,
      records: job.records,
      sink: new URL(job.sink),
      ordering: job.ordering,
      timeoutMs: job.timeoutMs,
      onProgress(delivered) {
        if (Date.now() - reportedAt < 200) return
        send({ kind: 'progress', delivered })
        reportedAt = Date.now()
      },
    })
    send({ kind: 'done', elapsedMs, cpuMs, peakRssBytes: process.resourceUsage().maxRSS * 1024 })
  } finally {
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
