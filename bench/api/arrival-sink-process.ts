// Child process of startArrivalSink(): a no-op sink (202 once the body is read) that notes when each
// CloudEvent arrived, by its `ce-subject` (the task id), so the parent can measure POST -> function.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { epochMs } from './clock.ts'

let arrivals: [subject: string, at: number][] = []

const server = createServer((req, res) => {
  // Noted when the headers arrived: that is when a function would start its work.
  const at = epochMs()
  const subject = req.headers['ce-subject']
  req.resume()
  req.on('end', () => {
    if (typeof subject === 'string') arrivals.push([subject, at])
    res.writeHead(202).end()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.send?.({ kind: 'listening', port: (server.address() as AddressInfo).port })
})
process.on('message', () => {
  process.send?.({ kind: 'arrivals', arrivals })
  arrivals = []
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
