// Child process of startNoopSink(): answers every request 202 once its body is read.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(202).end())
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.send?.({ kind: 'listening', port: (server.address() as AddressInfo).port })
})
process.on('message', () => {
  const usage = process.cpuUsage()
  process.send?.({ kind: 'cpu', ms: (usage.user + usage.system) / 1000 })
})
// The parent went away (even by SIGKILL): a sink alone has nothing to do.
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
