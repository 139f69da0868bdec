import { type AddressInfo, createServer, type Server } from 'node:net'
import { LocalKafkaError } from './errors.ts'

const listenOnce = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address ? address.port : port
      server.close(() => resolve(bound))
    })
  })

/**
 * `count` distinct ports the OS considers free right now (another process may still take one before
 * Kafka binds it). Each is held until all are taken: one port asked for after another
 * was released can be that same port again, which gave a node's PLAINTEXT and CONTROLLER listeners
 * one port (Kafka refuses to format such a node).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      held.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve)
      })
    }
    return held.map((server) => (server.address() as AddressInfo).port)
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

/** Fails with a clear message when something already listens on the port. */
export async function assertPortFree(port: number): Promise<void> {
  try {
    await listenOnce(port)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason =
      code === 'EADDRINUSE'
        ? 'is already in use (another Kafka?)'
        : `cannot be bound (${code ?? String(error)})`
    throw new LocalKafkaError(
      'port-taken',
      `Port 127.0.0.1:${port} ${reason}. Choose another with --port N.`,
      {
        cause: error,
      },
    )
  }
}
