import { decodeUtf8 } from '../cloudevent-attributes.ts'
import type { CodecError } from '../codec-error.ts'
import { ok, type Result } from '../result.ts'
import type { KafkaHeaderValue } from './kafka-record.ts'

/**
 * A header's value as a string, or undefined when absent. A header repeated in one record arrives as an
 * array from kafkajs; the last one wins, as with the Java client's `Headers.lastHeader` Knative uses.
 */
export function headerString(value: KafkaHeaderValue, name: string): Result<string, CodecError> | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value
  if (last === undefined) return undefined
  if (typeof last === 'string') return ok(last)
  return decodeUtf8(last, `header ${name}`)
}

export function byteLength(value: Buffer | string | null): number {
  if (value === null) return 0
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length
}

export function asBytes(value: Buffer | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}
