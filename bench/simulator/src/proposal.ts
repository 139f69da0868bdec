// The annotation values this benchmark argues for (bench/README.md "Simulator"), as overrides of the
// YAML's: the simulator runs both and the table shows the difference.
import type { KedaSourceSettings } from './keda.ts'

export const proposedKedaAnnotations: Readonly<Record<string, Partial<KedaSourceSettings>>> = {
  // Ordered: one Knative consumer sends ~250 events/s, so a lag of 50 per consumer asks for a new
  // consumer (and a whole-group rebalance) for a fraction of a second of work; 250 is one second of one
  // consumer. A 5 s poll halves KEDA's reaction to a burst and to the first event after idle.
  'audit-log': { lagThreshold: 250, pollingIntervalMs: 5_000 },
  reminders: { lagThreshold: 250, pollingIntervalMs: 5_000 },
  'notification-fanout': { lagThreshold: 250, pollingIntervalMs: 5_000 },
}
