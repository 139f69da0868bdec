// The functions the serving benchmarks start through the local function host: the slow-echo test
// fixture and the three real functions, each real one on a PostgreSQL database of the run.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { request } from 'undici'
import { createEvent, httpCodec } from '../../events/src/index.ts'
import {
  type FunctionHost,
  type FunctionHostOptions,
  startFunctionHost,
} from '../../local/src/serving/function-host.ts'
import type { BenchContext } from '../src/harness/benchmark.ts'

export interface BenchFunction {
  readonly name: string
  readonly dir: string
  /** Real functions keep their state in PostgreSQL: they get a database of the run. */
  readonly needsDatabase: boolean
}

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

export const slowEcho: BenchFunction = {
  name: 'slow-echo',
  dir: root('tests/support/fixtures/slow-echo/'),
  needsDatabase: false,
}
export const benchFunctions: readonly BenchFunction[] = [
  slowEcho,
  { name: 'audit-log', dir: root('functions/audit-log/'), needsDatabase: true },
  { name: 'notification-fanout', dir: root('functions/notification-fanout/'), needsDatabase: true },
  { name: 'reminders', dir: root('functions/reminders/'), needsDatabase: true },
]

/** Starts a host for the function (stopped when the benchmark ends), building it only when build/ is missing. */
export async function startBenchHost(
  context: BenchContext,
  fn: BenchFunction,
  options: { sinkUrl: URL; overrides: Partial<FunctionHostOptions> },
): Promise<FunctionHost> {
  const env: Record<string, string> = { K_SINK: options.sinkUrl.href, LOG_LEVEL: 'warn' }
  if (fn.needsDatabase) env.DATABASE_URL = (await context.database(fn.name)).url
  const host = await startFunctionHost({
    name: fn.name,
    dir: fn.dir,
    prebuilt: existsSync(`${fn.dir}build/index.js`),
    env,
    logger: pino({ level: 'silent' }),
    onOutput: () => {},
    ...options.overrides,
  })
  context.defer(() => host.stop())
  return host
}

let sequence = 0

/**
 * A task.created event (no assignee, watchers, reminder or due date: every function accepts it and has
 * little to do), in HTTP binary mode. Each call is a new task and event id.
 */
export function taskCreatedRequest(): { headers: Record<string, string>; body: string | Buffer } {
  sequence++
  const now = new Date().toISOString()
  const id = crypto.randomUUID()
  const event = createEvent({
    type: 'dev.taskflow.task.created',
    source: '/taskflow/bench',
    data: {
      task: {
        id,
        title: `bench task ${sequence}`,
        description: null,
        status: 'open',
        priority: 'normal',
        dueAt: null,
        remindAt: null,
        assignee: null,
        watchers: [],
        tags: [],
        createdBy: 'bench',
        createdAt: now,
        updatedAt: now,
        version: 1,
      },
    },
  })
  return httpCodec.encode(event, { mode: 'binary' })
}

/** POSTs one event; resolves with the status and the time to the response, in ms. */
export async function postEvent(
  url: string,
  event = taskCreatedRequest(),
): Promise<{ status: number; ms: number }> {
  const startedAt = performance.now()
  const response = await request(url, { method: 'POST', headers: event.headers, body: event.body })
  await response.body.dump()
  return { status: response.statusCode, ms: performance.now() - startedAt }
}
