// Child process of a benchmark: the POST /tasks load (task-load.ts), paced at a fixed rate (open loop)
// or as fast as `concurrency` allows (closed loop), in a process of its own, so the client does not
// share an event loop with what the benchmark runs beside it (the API under test, dispatchers,
// consumers): a client that is late reading answers would charge its own delay to the API. Reports
// counts every second and a summary at the end, with every request's result when asked.

import { closedLoop, openLoop, type TaskRequestResult } from './task-load.ts'
import type { LoadRequest } from './task-load-process.ts'

process.once('message', (message: LoadRequest) => {
  let ok = 0
  let failed = 0
  const ticker = setInterval(() => process.send?.({ kind: 'progress', ok, failed }), 1000)
  const target = {
    url: new URL(message.url),
    user: message.user,
    body: (index: number) => ({ ...message.body.fields, title: `${message.body.titlePrefix} ${index}` }),
  }
  const onResult = (result: TaskRequestResult) => {
    if (result.status === 201) ok++
    else failed++
  }
  const run =
    message.ratePerSecond === undefined
      ? closedLoop(target, {
          concurrency: message.concurrency,
          durationMs: message.durationMs,
          firstIndex: message.firstIndex,
          onResult,
        })
      : openLoop(target, {
          ratePerSecond: message.ratePerSecond,
          durationMs: message.durationMs,
          connections: message.concurrency,
          firstIndex: message.firstIndex,
          onResult,
        })
  run.then(
    (run) => {
      clearInterval(ticker)
      const statuses: Record<string, number> = {}
      for (const result of run.results) statuses[result.status] = (statuses[result.status] ?? 0) + 1
      const done = {
        kind: 'done',
        ok,
        failed,
        statuses,
        elapsedMs: run.endedAt - run.startedAt,
        ...(message.withResults ? { run } : {}),
      }
      process.send?.(done, () => process.exit(0))
    },
    (error: unknown) => {
      process.send?.({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
      process.exit(1)
    },
  )
})
process.on('disconnect', () => process.exit(0))
