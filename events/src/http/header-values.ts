import { decodeUtf8, invalidAttribute } from '../cloudevent-attributes.ts'
import type { CodecError } from '../codec-error.ts'
import { err, ok, type Result } from '../result.ts'

// The CloudEvents HTTP binding (3.1.3.2) requires percent-encoding of space, `"`, `%` and everything
// outside printable ASCII in `ce-*` header values, UTF-8 bytes first; Kafka headers need none of it.
const needsEncoding = /[^\x21\x23\x24\x26-\x7e]/

export function percentEncodeHeaderValue(value: string): string {
  if (!needsEncoding.test(value)) return value
  let encoded = ''
  for (const char of value) {
    if (!needsEncoding.test(char)) {
      encoded += char
      continue
    }
    for (const byte of Buffer.from(char, 'utf8'))
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}

const hexPair = /^[0-9a-fA-F]{2}$/

/** Undoes the binding's encoding: double-quoted values first (older senders), then one round of percent-decoding. */
export function decodeHeaderValue(raw: string, attribute: string): Result<string, CodecError> {
  let value = raw
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, '$1')
  }
  if (!value.includes('%')) return ok(value)
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code !== 0x25) {
      if (code > 0x7f) bytes.push(...Buffer.from(value[i]!, 'utf8'))
      else bytes.push(code)
      continue
    }
    const hex = value.slice(i + 1, i + 3)
    if (!hexPair.test(hex)) return err(invalidAttribute(attribute, 'has a malformed percent-encoding'))
    bytes.push(Number.parseInt(hex, 16))
    i += 2
  }
  // Overlong or truncated UTF-8 sequences must be rejected (binding 3.1.3.2).
  return decodeUtf8(Uint8Array.from(bytes), `header ce-${attribute}`)
}
