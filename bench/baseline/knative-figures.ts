// Figures measured once on a 2-core machine of this project's kind (shared/reference/knative-kafkasource.md):
// 200,000 records of 228-byte JSON, 6 partitions, a Node http sink answering 202. Midpoints of the ranges.
import type { Ordering } from './measure.ts'

export const knativeDispatcherEventsPerSecond: Readonly<Record<Ordering, number>> = {
  unordered: 13_300,
  ordered: 250,
}

/** kafkajs + node:http keep-alive Agent, the Node baseline of that measurement. */
export const kafkajsNodeHttpEventsPerSecond: Readonly<Record<Ordering, number>> = {
  unordered: 10_900,
  ordered: 10_600,
}

/** Peak RSS of Knative's dispatcher delivering 200,000 such records to the no-op sink (measured 2026-12-07). */
export const knativeDispatcherPeakRssMb = { low: 371, high: 388 } as const
