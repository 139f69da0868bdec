// Group commit: concurrent writes share one statement. Every commit waits for PostgreSQL to flush its
// WAL and every statement is a round trip that wakes a backend; on a small machine those cost more than
// the rows. No write waits for a batch to fill: one starts a statement at once when fewer than
// `maxInFlight` run, and the ones arriving meanwhile go together in the next. Idle, each write is its
// own statement; under load batches grow with the load, as PostgreSQL's own group flush of the WAL does.
import { isTransientDatabaseError } from './transient-errors.ts'

export type GroupCommitOptions<Item, Result> = {
  /** Writes the batch in one statement (one transaction); answers one result per item, in order. */
  readonly write: (items: readonly Item[]) => Promise<readonly Result[]>
  /** Statements running at once (default 1; a share of the pool, the rest serves other work). */
  readonly maxInFlight?: number
  /** Items per statement (default 500). */
  readonly maxBatch?: number
  /**
   * Items with the same key never share a statement: the later waits for the next one (a multi-row
   * upsert may not touch one row twice, and a task's events apply one after another). A statement
   * gets its items in key order, so two statements lock their rows in one order and never deadlock.
   */
  readonly keyOf?: (item: Item) => string
}

type Pending<Item, Result> = {
  readonly item: Item
  readonly resolve: (result: Result) => void
  readonly reject: (error: unknown) => void
}

/**
 * Resolves each write with its own result once its statement committed. A transient failure (the
 * database unreachable) fails the whole batch; anything else may be one item's fault (a value the
 * database refuses), so each is written again alone and gets its own answer.
 */
export function createGroupCommit<Item, Result>(
  options: GroupCommitOptions<Item, Result>,
): (item: Item) => Promise<Result> {
  const { write, maxInFlight = 1, maxBatch = 500, keyOf } = options
  const waiting: Pending<Item, Result>[] = []
  let inFlight = 0

  async function writeAlone(pending: Pending<Item, Result>): Promise<void> {
    try {
      const [result] = await write([pending.item])
      pending.resolve(result as Result)
    } catch (error) {
      pending.reject(error)
    }
  }

  async function commit(batch: Pending<Item, Result>[]): Promise<void> {
    try {
      const results = await write(batch.map((pending) => pending.item))
      if (results.length !== batch.length)
        throw new Error(`a group commit answered ${results.length} results for ${batch.length} items`)
      batch.forEach((pending, index) => {
        pending.resolve(results[index] as Result)
      })
    } catch (error) {
      if (batch.length === 1 || isTransientDatabaseError(error)) {
        for (const pending of batch) pending.reject(error)
      } else {
        await Promise.all(batch.map(writeAlone))
      }
    }
  }

  function nextBatch(): Pending<Item, Result>[] {
    if (!keyOf) return waiting.splice(0, maxBatch)
    const batch: Pending<Item, Result>[] = []
    const keys = new Set<string>()
    for (let index = 0; index < waiting.length && batch.length < maxBatch; ) {
      const key = keyOf(waiting[index]!.item)
      if (keys.has(key)) {
        index++
        continue
      }
      keys.add(key)
      batch.push(...waiting.splice(index, 1))
    }
    return batch.sort((a, b) => compareKeys(keyOf(a.item), keyOf(b.item)))
  }

  function drain(): void {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = nextBatch()
      inFlight++
      void commit(batch).finally(() => {
        inFlight--
        drain()
      })
    }
  }

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
      drain()
    })
}

const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
