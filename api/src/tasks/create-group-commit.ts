// Group commit of task creations. Every commit waits for PostgreSQL to flush its WAL, and on a small
// machine that flush and the round trip cost more than the insert itself. So concurrent POST /tasks
// share one statement: the tasks and their outbox rows in one multi-row insert (the task insert in a
// data-modifying CTEs, with the notification that wakes the relay), one round trip and one WAL flush
// for all of them.
//
// No request waits for a batch to fill: a creation starts a statement at once when fewer than
// `maxInFlight` are running, and only the ones that arrive while all are busy are batched together for
// the next one. At low load each request is its own statement, as before; under load batches grow
// with the load. A single statement is atomic, so each event still exists exactly when its task does.
import type { Insertable, Kysely } from 'kysely'
import { isTransientDatabaseError } from '../../../db/src/index.ts'
import type { OutboxTable, TasksDatabase, TaskTable } from '../database.ts'
import { notifyOutboxChannel } from '../outbox/outbox-writer.ts'

export type TaskCreation = { task: Insertable<TaskTable>; event: Insertable<OutboxTable> }

export type CreateGroupCommit = {
  /** Resolves once the task and its outbox row are committed; rejects with the statement's error. */
  create(creation: TaskCreation): Promise<void>
}

type Pending = { creation: TaskCreation; resolve: () => void; reject: (error: unknown) => void }

export function createGroupCommit(options: {
  db: Kysely<TasksDatabase>
  /** Statements running at once (a share of the pool; the rest serves reads and other writes). */
  maxInFlight?: number
  /** Creations per statement (PostgreSQL takes at most 65,535 parameters: 16 per task + 6 per event). */
  maxBatch?: number
}): CreateGroupCommit {
  const { db, maxInFlight = 4, maxBatch = 500 } = options
  const waiting: Pending[] = []
  let inFlight = 0

  const insertAll = (creations: readonly TaskCreation[]) =>
    db
      .with('created_tasks', (cte) =>
        cte
          .insertInto('tasks.tasks')
          .values(creations.map((creation) => creation.task))
          .returning('id'),
      )
      .with('written_events', (cte) =>
        cte
          .insertInto('tasks.outbox')
          .values(creations.map((creation) => creation.event))
          .returning('id'),
      )
      .selectFrom('written_events')
      .select(notifyOutboxChannel.as('notified'))
      .limit(1)
      .execute()

  async function commit(batch: Pending[]): Promise<void> {
    try {
      await insertAll(batch.map((pending) => pending.creation))
      for (const pending of batch) pending.resolve()
    } catch (error) {
      // A transient failure (database unreachable) fails them all: each caller answers 503. Anything
      // else may be one creation's fault (a value the database refuses): alone, each gets its own answer.
      if (batch.length === 1 || isTransientDatabaseError(error)) {
        for (const pending of batch) pending.reject(error)
      } else {
        await Promise.all(
          batch.map((pending) => insertAll([pending.creation]).then(pending.resolve, pending.reject)),
        )
      }
    }
  }

  function drain(): void {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch)
      inFlight++
      void commit(batch).finally(() => {
        inFlight--
        drain()
      })
    }
  }

  return {
    create(creation) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ creation, resolve, reject })
        drain()
      })
    },
  }
}
