import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { partitionQuotas } from '../../../../local/src/eventlog/group-assignment.ts'

describe('partitionQuotas (embedded consumer groups, fair like Kafka assignors)', () => {
  it('gives every member floor or ceil of partitions/members and hands out every partition', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (ids, partitions) => {
          const quotas = partitionQuotas(
            ids.map((memberId) => ({ memberId, owned: 0 })),
            partitions,
          )
          const values = [...quotas.values()]
          expect(values.reduce((sum, n) => sum + n, 0)).toBe(partitions)
          expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1)
          expect(values.filter((n) => n > 0).length).toBe(Math.min(ids.length, partitions))
        },
      ),
    )
  })

  it('leaves a third member on a two-partition topic without partitions', () => {
    const quotas = partitionQuotas(
      [
        { memberId: 'a', owned: 1 },
        { memberId: 'b', owned: 1 },
        { memberId: 'c', owned: 0 },
      ],
      2,
    )
    expect(Object.fromEntries(quotas)).toEqual({ a: 1, b: 1, c: 0 })
  })

  it('keeps the extra partition with the member that already owns it (sticky)', () => {
    const quotas = partitionQuotas(
      [
        { memberId: 'a', owned: 0 },
        { memberId: 'z', owned: 3 },
      ],
      3,
    )
    expect(Object.fromEntries(quotas)).toEqual({ a: 1, z: 2 })
  })

  it('gives no quota to anyone when there are no members', () => {
    expect(partitionQuotas([], 4).size).toBe(0)
  })
})
