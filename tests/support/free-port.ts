import { createServer } from 'node:net'

/**
 * A loopback port free right now, for servers that take a port number rather than listening on 0
 * (faas-js-runtime's `start`, `npm start` with FUNC_PORT). Another process could take it before the
 * caller binds it; on a test machine that race is rare enough to accept.
 */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}
