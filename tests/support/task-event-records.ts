import { createEvent, EventTypes, kafkaCodec, type TaskSnapshot } from '../../events/src/index.ts'
import type { ConsumedRecord } from '../../kafka/src/index.ts'
import type { AppendRecord } from '../../local/src/eventlog/types.ts'
import { taskSnapshot } from './task-events.ts'

/** A task.created CloudEvent as the outbox writes it to Kafka (binary mode, key = task id). */
export function taskCreatedRecord(task: Partial<TaskSnapshot> = {}): AppendRecord {
  const event = createEvent({
    type: EventTypes.TaskCreated,
    source: '/taskflow/api',
    data: { task: taskSnapshot({ watchers: [], ...task }) },
    actor: 'alice',
  })
  return kafkaCodec.encode(event, { mode: 'binary' })
}

/** Per task (the record key), the versions its events carried, in partition and offset order. */
export function versionsPerTask(records: readonly ConsumedRecord[]): Map<string, number[]> {
  const sorted = [...records].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  )
  const byTask = new Map<string, number[]>()
  for (const record of sorted) {
    const decoded = kafkaCodec.decode(record)
    if (!decoded.ok) throw new Error(`record is not a CloudEvent: ${decoded.error.message}`)
    const version = (decoded.value.data as { task: { version: number } }).task.version
    byTask.set(record.key!, [...(byTask.get(record.key!) ?? []), version])
  }
  return byTask
}
