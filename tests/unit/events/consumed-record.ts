import type { KafkaRecordIn, KafkaRecordOut } from '../../../events/src/index.ts'

/** What kafkajs hands a consumer for a produced record: header values and key come back as Buffers. */
export function consumed(out: KafkaRecordOut, offset = '0'): KafkaRecordIn {
  const headers: Record<string, Buffer> = {}
  for (const [name, value] of Object.entries(out.headers)) headers[name] = Buffer.from(value, 'utf8')
  return {
    topic: 'tasks',
    partition: 0,
    offset,
    timestamp: '1700000000000',
    key: out.key === null ? null : Buffer.from(out.key, 'utf8'),
    value: out.value,
    headers,
  }
}
