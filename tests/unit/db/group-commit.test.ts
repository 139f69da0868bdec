import { describe, expect, it } from 'vitest'
import { createGroupCommit } from '../../../db/src/group-commit.ts'

/** A write that records each batch and answers each item doubled, after the test releases it. */
function recordingWrite(fail: (items: readonly number[]) => Error | undefined = () => undefined) {
  const batches: number[][] = []
  const write = async (items: readonly number[]) => {
    batches.push([...items])
    await new Promise((resolve) => setImmediate(resolve))
    const error = fail(items)
    if (error) throw error
    return items.map((item) => item * 2)
  }
  return { batches, write }
}

describe('group commit', () => {
  it('writes the first at once and the ones arriving meanwhile together, each with its own result', async () => {
    const { batches, write } = recordingWrite()
    const commit = createGroupCommit({ write })
    const results = await Promise.all([1, 2, 3, 4].map(commit))
    expect(results).toEqual([2, 4, 6, 8])
    expect(batches).toEqual([[1], [2, 3, 4]])
  })

  it('never puts two items of one key in a statement; the later waits for the next', async () => {
    const { batches, write } = recordingWrite()
    const commit = createGroupCommit({ write, keyOf: (item) => String(item % 10) })
    await Promise.all([1, 11, 2, 21, 12, 3].map(commit))
    expect(batches).toEqual([[1], [11, 2, 3], [21, 12]])
  })

  it('hands a statement its items in key order, each still answered with its own result', async () => {
    const { batches, write } = recordingWrite()
    const commit = createGroupCommit({ write, keyOf: (item) => String(item) })
    expect(await Promise.all([5, 3, 1, 4].map(commit))).toEqual([10, 6, 2, 8])
    expect(batches).toEqual([[5], [1, 3, 4]])
  })

  it('bounds batches by maxBatch and statements by maxInFlight', async () => {
    const { batches, write } = recordingWrite()
    const commit = createGroupCommit({ write, maxBatch: 2, maxInFlight: 2 })
    await Promise.all([1, 2, 3, 4, 5, 6].map(commit))
    expect(batches).toEqual([[1], [2], [3, 4], [5, 6]])
  })

  it('writes each item alone after a batch fails for one of them: only that one fails', async () => {
    const { batches, write } = recordingWrite((items) =>
      items.includes(3) ? new Error('value refused') : undefined,
    )
    const commit = createGroupCommit({ write })
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(commit))
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
    expect(batches).toEqual([[1], [2, 3, 4], [2], [3], [4]])
  })

  it('fails the whole batch on a transient error, without writing each again', async () => {
    const unreachable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const { batches, write } = recordingWrite((items) => (items.length > 1 ? unreachable : undefined))
    const commit = createGroupCommit({ write })
    const outcomes = await Promise.allSettled([1, 2, 3].map(commit))
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect(batches).toEqual([[1], [2, 3]])
  })

  it('rejects a write that answers a different number of results than items', async () => {
    const commit = createGroupCommit<number, number>({ write: async () => [] })
    await expect(commit(1)).rejects.toThrow('answered 0 results for 1 items')
  })
})
