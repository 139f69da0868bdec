// Child process of the pipeline benchmark: the POST /tasks load (bench/api/task-load.ts), paced at a
// fixed rate (open loop) or as fast as `concurrency` allows (closed loop),
// in a process of its own, so it does not share the event loop of the system it loads (the Task API
// and the dispatchers run in the bench process). Reports counts every second and a summary at the end.
import { closedLoop, openLoop } from '../api/task-load.ts'

type StartMessage = { url: string; concurrency: number; durationMs: number; ratePerSecond?: number }

process.once('message', (message: StartMessage) => {
  let ok = 0
  let failed = 0
  const ticker = setInterval(() => process.send?.({ kind: 'progress', ok, failed }), 1000)
  const dueAt = new Date(Date.now() + 2 * 24 * 3600_000).toISOString()
  const target = {
    url: new URL(message.url),
    user: 'alice',
    // Every function has work: audit-log records it, notification-fanout notifies the assignee,
    // reminders schedules the reminder an hour before the due date.
    body: (index: number) => ({
      title: `pipeline task ${index}`,
      assignee: 'bob',
      dueAt,
      remindMinutesBefore: 60,
    }),
  }
  const onResult = (result: { status: number }) => {
    if (result.status === 201) ok++
    else failed++
  }
  const run =
    message.ratePerSecond === undefined
      ? closedLoop(target, { concurrency: message.concurrency, durationMs: message.durationMs, onResult })
      : openLoop(target, {
          ratePerSecond: message.ratePerSecond,
          durationMs: message.durationMs,
          connections: message.concurrency,
          onResult,
        })
  run.then(
    (run) => {
      clearInterval(ticker)
      const statuses: Record<string, number> = {}
      for (const result of run.results) statuses[result.status] = (statuses[result.status] ?? 0) + 1
      process.send?.({ kind: 'done', ok, failed, statuses, elapsedMs: run.endedAt - run.startedAt }, () =>
        process.exit(0),
      )
    },
    (error: unknown) => {
      process.send?.({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
      process.exit(1)
    },
  )
})
process.on('disconnect', () => process.exit(0))
