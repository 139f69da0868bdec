import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createRelayThread } from '../../../api/src/outbox/relay-thread.ts'
import { eventually } from '../../support/api-harness.ts'

// No database answers on port 1: the worker fails as it opens its pool, as it would when PostgreSQL is
// down at the moment it starts. The API thread must report it, start another, and still stop cleanly.
describe('the outbox relay thread', () => {
  it('reports a worker that died, starts another with backoff, and stops cleanly meanwhile', async () => {
    const lines: { msg: string; level: number; thread?: string }[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const relay = createRelayThread({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere',
      kafka: { brokers: ['127.0.0.1:1'], clientId: 'relay-thread-test' },
      relay: { batchSize: 10, pollIntervalMs: 50, lingerMs: 5, maxLanes: 16 },
      telemetry: { tracing: false, defaultServiceName: undefined, sdkLogLevel: 'info' },
      logLevel: 'info',
      logger,
      restartDelayMs: 20,
    })
    relay.start()
    const restarts = () => lines.filter((line) => line.msg === 'outbox relay thread exited; starting another')
    await eventually(restarts, (found) => found.length >= 2)
    expect(lines.some((line) => line.msg === 'outbox relay thread failed' && line.level === 50)).toBe(true)
    expect(relay.status()).toMatchObject({ running: false, kafka: 'unknown' })
    expect(relay.status().lastError).toMatch(/^relay thread failed: .*127\.0\.0\.1:1/)

    const stopped = performance.now()
    await relay.stop()
    expect(performance.now() - stopped).toBeLessThan(5_000)
    const after = restarts().length
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(restarts().length).toBe(after)
  })
})
