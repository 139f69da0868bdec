// The local KPA's view of each function as Prometheus series at /_local/metrics: processes running,
// processes wanted, cold starts. On a cluster the same questions are answered from the functions' own
// faas_* series (one per pod) and Knative's autoscaler.
import { Counter, Gauge, type Registry } from 'prom-client'
import type { FunctionHost } from './function-host.ts'

export function trackFunctionHosts(registry: Registry, hosts: ReadonlyMap<string, FunctionHost>): void {
  const each = (apply: (name: string, host: FunctionHost) => void) => {
    for (const [name, host] of hosts) apply(name, host)
  }
  new Gauge({
    name: 'taskflow_local_function_processes',
    help: 'Function processes alive (starting or ready)',
    labelNames: ['function'],
    registers: [registry],
    collect() {
      this.reset()
      each((name, host) =>
        this.set({ function: name }, host.processes().filter((p) => p.state !== 'exited').length),
      )
    },
  })
  new Gauge({
    name: 'taskflow_local_function_desired_processes',
    help: "The autoscaler's wanted process count (Knative KPA's desired pods)",
    labelNames: ['function'],
    registers: [registry],
    collect() {
      this.reset()
      each((name, host) => this.set({ function: name }, host.stats().desiredProcesses))
    },
  })
  new Counter({
    name: 'taskflow_local_function_cold_starts_total',
    help: 'Requests that found no process and waited for one to start',
    labelNames: ['function'],
    registers: [registry],
    // The host keeps the list; a scrape copies its length (reset + inc sets the value).
    collect() {
      this.reset()
      each((name, host) => this.inc({ function: name }, host.coldStarts().length))
    },
  })
}
