import { createServer } from 'node:net'
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

/** A port the OS considers free right now (another process may still take it before Kafka binds). */
export const freePort = (): Promise<number> => listenOnce(0)

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
