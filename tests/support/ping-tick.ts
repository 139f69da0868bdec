import { randomUUID } from 'node:crypto'

/**
 * The CloudEvent Knative's PingSource `reminders-tick` sends (sources/ping-sources.yaml): type
 * dev.knative.sources.ping, its configured JSON as the data. A fresh id each call, as every tick has.
 */
export function reminderTick(data: unknown = { action: 'tick' }, id: string = randomUUID()) {
  return {
    specversion: '1.0',
    id,
    source: '/apis/v1/namespaces/taskflow/pingsources/reminders-tick',
    type: 'dev.knative.sources.ping',
    datacontenttype: 'application/json',
    data,
  }
}
