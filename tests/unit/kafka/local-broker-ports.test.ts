import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePorts } from '../../../brokers/local/src/ports.ts'

// A local Kafka node needs several listener ports at once (PLAINTEXT, CONTROLLER, SASL_SSL); ports
// asked for one after another could repeat, and Kafka refuses a node whose two listeners share one.
describe('freePorts', () => {
  it('gives distinct ports, each free to bind once returned', async () => {
    const ports = await freePorts(64)
    expect(ports).toHaveLength(64)
    expect(new Set(ports).size).toBe(64)
    for (const port of ports.slice(0, 8)) {
      const server = createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve)
      })
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
