import { validate as isUuid, version as uuidVersion } from 'uuid'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { uuidv7 } from '../../../events/src/index.ts'

/** The 48-bit Unix-millisecond prefix of a UUIDv7. */
const millisecondsOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)

describe('uuidv7 (pooled randomness)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('makes valid version-7 UUIDs stamped with the current millisecond', () => {
    const before = Date.now()
    const id = uuidv7()
    const after = Date.now()
    expect(isUuid(id)).toBe(true)
    expect(uuidVersion(id)).toBe(7)
    // RFC 9562 variant bits: 10xx in the first nibble of the fourth group.
    expect(id[19]).toMatch(/[89ab]/)
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before)
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after)
  })

  it('stays strictly increasing and distinct across many pool refills within the same milliseconds', () => {
    // 20,000 ids: ~78 refills of the 256-id pool, many ids per millisecond.
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    expect(new Set(ids).size).toBe(ids.length)
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true)
  })

  it('keeps increasing when the clock steps back, on the last millisecond it saw', () => {
    const first = uuidv7()
    const stamped = millisecondsOf(first)
    vi.spyOn(Date, 'now').mockReturnValue(stamped - 60_000)
    const afterStepBack = [uuidv7(), uuidv7()]
    expect(afterStepBack[0]! > first).toBe(true)
    expect(afterStepBack[1]! > afterStepBack[0]!).toBe(true)
    expect(millisecondsOf(afterStepBack[1]!)).toBe(stamped)
  })

  it('draws fresh random bits for each id (no two ids share their random tail)', () => {
    const tails = new Set(Array.from({ length: 1_000 }, () => uuidv7().slice(24)))
    expect(tails.size).toBe(1_000)
  })
})
