import { connect, createServer, type Socket } from 'node:net'

export interface TcpProxy {
  host: string
  port: number
  /** Destroy every open connection and refuse new ones, as if the service fell off the network. */
  cut(): void
  /** Accept connections again. */
  restore(): void
  close(): Promise<void>
}

// A TCP proxy in front of any host:port, for tests of "database down" and "Kafka down": the service
// stays healthy, only the path to it is cut, so a test can prove clients notice and recover.
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>()
  let isCut = false

  const server = createServer((client) => {
    if (isCut) {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    open.add(client)
    open.add(upstream)
    const forget = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', forget).on('close', forget)
    upstream.on('error', forget).on('close', forget)
    client.pipe(upstream)
    upstream.pipe(client)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address')

  return {
    host: '127.0.0.1',
    port: address.port,
    cut() {
      isCut = true
      for (const socket of open) socket.destroy()
      open.clear()
    },
    restore() {
      isCut = false
    },
    close() {
      for (const socket of open) socket.destroy()
      open.clear()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A proxy in front of a database URL's host and port; `url` is that database reached through it. */
export type DatabaseProxy = TcpProxy & { readonly url: string }

export async function proxyDatabaseUrl(databaseUrl: string): Promise<DatabaseProxy> {
  const target = new URL(databaseUrl)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  const viaProxy = new URL(databaseUrl)
  viaProxy.hostname = proxy.host
  viaProxy.port = String(proxy.port)
  return { ...proxy, url: viaProxy.toString() }
}
