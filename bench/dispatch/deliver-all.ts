// The dispatcher of the dispatch benchmarks: the local KafkaSource (local/src/eventing) over a filled
// topic, from a fresh consumer group, until every record was delivered to the sink. The clock runs from
// the group join (partitions assigned), as for the baselines.
import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import type { EventLog } from '../../local/src/eventlog/index.ts'
import { knativeDefaultDeliveryPolicy } from '../../platform/src/knative-delivery.ts'
import { cpuMsSince, type Ordering } from '../baseline/measure.ts'

/** The same in-flight bound as the unordered baseline (Knative's own default is 50). */
export const dispatcherMaxInFlight = 100

export async function deliverAll(options: {
  log: EventLog
  topic: string
  records: number
  sink: URL
  ordering: Ordering
  timeoutMs: number
  /** Called every few ms with the records delivered so far. */
  onProgress: (delivered: number) => void
}): Promise<{ elapsedMs: number; cpuMs: number }> {
  const { records } = options
  const dispatcher = await startKafkaSource({
    spec: {
      name: 'bench',
      namespace: 'bench',
      topics: [options.topic],
      consumerGroup: `bench-${randomUUID()}`,
      initialOffset: 'earliest',
      ordering: options.ordering,
      delivery: knativeDefaultDeliveryPolicy,
      sink: options.sink,
      deadLetterSink: null,
    },
    log: options.log,
    logger: pino({ level: 'silent' }),
    maxInFlight: dispatcherMaxInFlight,
  })
  try {
    while (dispatcher.consumer().assignment().length === 0) await new Promise((r) => setTimeout(r, 1))
    const startedAt = performance.now()
    const cpuBefore = process.cpuUsage()
    const deadline = Date.now() + options.timeoutMs
    for (;;) {
      const { delivered, dropped } = dispatcher.stats()
      options.onProgress(delivered)
      if (dropped > 0) throw new Error(`${dropped} events dropped`)
      if (delivered >= records) break
      if (Date.now() > deadline) throw new Error(`${delivered} of ${records} delivered in time`)
      await new Promise((r) => setTimeout(r, 2))
    }
    return { elapsedMs: performance.now() - startedAt, cpuMs: cpuMsSince(cpuBefore) }
  } finally {
    await dispatcher.stop()
  }
}
