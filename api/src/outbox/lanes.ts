import { createHash } from 'node:crypto'

/** Must match the CHECK constraints and the seeded rows of tasks.outbox_lanes (api/migrations). */
export const laneCount = 16

/**
 * The lane of a partition key (the task id): all events of one task share a lane, and a lane is
 * published by one relay at a time, in outbox id order, which is what keeps per-task order when several
 * API replicas run relays.
 */
export function laneOf(partitionKey: string): number {
  return createHash('sha1').update(partitionKey).digest().readUInt32BE(0) % laneCount
}
