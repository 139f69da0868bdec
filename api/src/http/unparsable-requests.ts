// Requests Node's HTTP parser refuses before express sees them (a method it does not know, header
// fields over --max-http-header-size, a malformed request line) get Node's bare status line with no
// body; this answers them as problem+json like every other error of the API, with Node's statuses.
import { type Server, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { problemBody } from '../problem.ts'

const statusByCode: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
}

export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing to answer on a socket that is gone or already carries a
    // response (a malformed request pipelined behind one being answered).
    const responding = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    if (error.code === 'ECONNRESET' || !socket.writable || responding === true) {
      socket.destroy()
      return
    }
    const status = statusByCode[error.code ?? ''] ?? 400
    const title = STATUS_CODES[status] ?? 'Bad Request'
    const body = JSON.stringify(
      problemBody({ status, title, detail: 'The request could not be read as HTTP/1.1' }),
    )
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  })
}
