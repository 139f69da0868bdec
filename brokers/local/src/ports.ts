import { type AddressInfo, createServer, type Server } from 'node:net'
import { LocalKafkaError } from './errors.ts'

/** Listens on 127.0.0.1 (port 0: one the OS picks) as Kafka will, exclusively; resolves the port. */
const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      resolve((server.address() as AddressInfo).port),
    )
  })

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

/**
 * `count` distinct ports the OS considers free right now (another process may still take one before
 * Kafka binds it). Each is held until all are taken: one port asked for after another
 * was released can be that same port again, which gave a node's PLAINTEXT and CONTROLLER listeners
 * one port (Kafka refuses to format such a node).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = []
  try {
    const ports: number[] = []
    for (let i = 0; i < count; i++) {
      const server = createServer()
      held.push(server)
      ports.push(await listen(server, 0))
    }
    return ports
  } finally {
    await Promise.all(held.map(close))
  }
}

/** Fails with a clear message when something already listens on the port. */
export async function assertPortFree(port: number): Promise<void> {
  const server = createServer().unref()
  try {
    await listen(server, port)
    await close(server)
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
