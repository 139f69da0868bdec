import { z } from 'zod'

// Retention runs on a PingSource tick: Knative's PingSource posts `dev.knative.sources.ping` with
// the JSON it was configured with (sources/ sets {"action":"purge"}) on its schedule.

export const pingEventType = 'dev.knative.sources.ping'

export const retentionTickSchema = z.object({ action: z.literal('purge') })

const dayMs = 24 * 60 * 60 * 1000

/** Rows recorded before this instant are past retention. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * dayMs)
}
