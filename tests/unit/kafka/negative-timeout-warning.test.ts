import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/schemas.ts'

// Node 24 warns about a negative timer delay, once per process; kafkajs's request queue arms one on
// every connection (kafka/src/negative-timeout-warning.ts). Creating a client drops that warning and
// no other. Each case runs in a process of its own, as Node's once-per-process makes them interfere.

const clientModule = join(repoRoot, 'kafka', 'src', 'index.ts')

/** The warnings a fresh Node process emits for `body`, after creating a Kafka client when `client`. */
async function warningsOf(body: string, client: boolean): Promise<string[]> {
  const script = `
    import { createKafkaClient } from ${JSON.stringify(clientModule)}
    if (${client}) createKafkaClient({ brokers: ['127.0.0.1:1'], clientId: 'warning-test' })
    process.on('warning', (warning) => console.log(warning.name + ': ' + warning.message.split('\\n')[0]))
    // Shaped as kafkajs's: a RequestQueue whose scheduleCheckPendingRequests arms a negative delay.
    class RequestQueue {
      throttledUntil = -1
      scheduleCheckPendingRequests() {
        return new Promise((resolve) => setTimeout(resolve, this.throttledUntil - Date.now()))
      }
    }
    ${body}
    await new Promise((resolve) => setImmediate(resolve))
    console.log('done')
  `
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--no-deprecation', '-e', script],
    { cwd: repoRoot },
  )
  const lines = stdout.trim().split('\n')
  expect(lines.at(-1)).toBe('done')
  return lines.slice(0, -1)
}

describe('the negative timeout warning of kafkajs', () => {
  const kafkajsTimer = 'await new RequestQueue().scheduleCheckPendingRequests()'
  const otherTimer = 'await new Promise((resolve) => setTimeout(resolve, -5))'

  it('is dropped once a client exists, and the timer still fires', async () => {
    expect(await warningsOf(kafkajsTimer, true)).toEqual([])
  })

  it('is what Node emits without the client module', async () => {
    expect(await warningsOf(kafkajsTimer, false)).toEqual([
      expect.stringMatching(/^TimeoutNegativeWarning: -\d+ is a negative number/),
    ])
  })

  it('is kept for any other negative delay', async () => {
    expect(await warningsOf(otherTimer, true)).toEqual(['TimeoutNegativeWarning: -5 is a negative number.'])
  })
})
