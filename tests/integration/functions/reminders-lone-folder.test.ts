import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postBinary } from '../../support/function-runtime.ts'
import { useLoneFunctionFolder } from '../../support/lone-function-folder.ts'
import { reminderTick } from '../../support/ping-tick.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

// functions/reminders/ copied ALONE, installed, built and started as the buildpack would (see
// tests/support/lone-function-folder.ts), then a task event and a PingSource tick. Without
// DATABASE_URL the function opens an embedded PGlite; K_SINK points at a sink in this test.

describe('reminders folder copied alone', () => {
  const folder = useLoneFunctionFolder('reminders')
  let sink: RecordingSink

  beforeAll(async () => {
    sink = await startRecordingSink({ cloudEventsOnly: true })
  })
  afterAll(async () => {
    await sink?.close()
  })

  it('installs from the registry, builds, starts, schedules a reminder and emits it on a tick', {
    timeout: 600_000,
  }, async () => {
    const built = await folder.installAndBuild()
    expect(built).not.toMatch(/from ["']\.\.\/\.\.\//)

    // K_SINK is what the SinkBinding would inject. Without a lead, a reminder not yet due when its
    // event arrives waits for a tick (with one, it would fire on the event).
    const { url, coldStartMs } = await folder.start({ K_SINK: sink.url, REMINDERS_LEAD_SECONDS: '0' })

    const remindAt = new Date(Date.now() + 1_500)
    const task = taskSnapshot({ remindAt: remindAt.toISOString() })
    const scheduled = await postBinary(`${url}/`, taskCreated(task))
    expect(scheduled.statusCode, folder.output()).toBe(200)
    expect(await scheduled.body.json()).toMatchObject({ taskId: task.id, result: 'applied' })
    expect(sink.accepted).toHaveLength(0)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, remindAt.getTime() + 100 - Date.now())))

    const ticked = await postBinary(`${url}/`, reminderTick({ action: 'tick' }, 'tick-1'))
    expect(ticked.statusCode, folder.output()).toBe(200)
    expect(await ticked.body.json()).toMatchObject({ fired: 1 })
    expect(sink.accepted.map((event) => [event.type, (event.data as { taskId: string }).taskId])).toEqual([
      ['dev.taskflow.reminder.due', task.id],
    ])
    // Figures for the report, not assertions (no timed assertions: bench/ holds performance goals).
    console.info(`[reminders alone] cold start to readiness ${coldStartMs} ms (npm start, embedded PGlite)`)
  })
})
