// Time-ordered ids (RFC 9562 UUIDv7) for tasks and events, with the random bits drawn from a pooled
// buffer. uuid's v7() asks the CSPRNG for 16 bytes on every call (crypto.getRandomValues, ~4 µs here):
// two ids per created task made it ~4 % of the Task API's CPU at 1,000 POST/s. Node's randomUUID()
// pools its randomness the same way; here one randomFillSync serves 256 ids.
//
// Ids of one process stay strictly increasing, as uuid's v7() keeps them: RFC 9562 section 6.2,
// method 1 (a counter seeded at random each new millisecond, incremented within one; when it wraps,
// the millisecond advances). A clock that steps back keeps the last millisecond instead.
import { randomFillSync } from 'node:crypto'
import { v7 } from 'uuid'

const idBytes = 16
const pool = new Uint8Array(idBytes * 256)
let offset = pool.length
let lastMs = Number.NEGATIVE_INFINITY
let counter = 0

function randomBytes16(): Uint8Array {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = pool.subarray(offset, offset + idBytes)
  offset += idBytes
  return bytes
}

/** A new UUIDv7, greater than every one this process made before. */
export function uuidv7(): string {
  const random = randomBytes16()
  const now = Date.now()
  if (now > lastMs) {
    lastMs = now
    // 31 random bits, as uuid seeds its counter: room to count up within the millisecond.
    counter = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!
  } else {
    counter = (counter + 1) | 0
    if (counter === 0) lastMs++
  }
  return v7({ random, msecs: lastMs, seq: counter })
}
