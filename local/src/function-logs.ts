// The recent output of each function's processes, kept by `npm start` for `npm run logs` (what
// `kubectl logs` reads from a pod): the last lines per function, each numbered so a follower asks only
// for what came after the last one it saw. Served at `/_local/logs/<function>?after=<seq>`.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GatewayRoute } from './gateway.ts'
import { writeProblem } from './serving/activator-http.ts'
import type { OutputLine } from './serving/output-prefix.ts'

export type LogLine = {
  readonly seq: number
  readonly at: string
  readonly stream: 'stdout' | 'stderr'
  /** As printed: `[<function> <pid>] <text>`. */
  readonly line: string
}

export type FunctionLogs = {
  /** An output sink for one function's host that records each line, then passes it on. */
  recorder(name: string, next: OutputLine): OutputLine
  /** The lines after `after` (all kept when absent) and the seq to ask after next time. */
  read(name: string, after?: number): { lines: LogLine[]; next: number } | undefined
  /** The functions recorded (each from its host's start). */
  names(): string[]
}

export const defaultLinesPerFunction = 2_000

export function createFunctionLogs(linesPerFunction = defaultLinesPerFunction): FunctionLogs {
  const books = new Map<string, LogLine[]>()
  let seq = 0
  return {
    recorder(name, next) {
      const book = books.get(name) ?? []
      books.set(name, book)
      return (line, stream) => {
        book.push({ seq: ++seq, at: new Date().toISOString(), stream, line })
        // Trimmed in chunks: one splice per few hundred lines, not a shift per line.
        if (book.length > linesPerFunction * 1.25) book.splice(0, book.length - linesPerFunction)
        next(line, stream)
      }
    },
    read(name, after = 0) {
      const book = books.get(name)
      if (!book) return undefined
      const lines = book.filter((entry) => entry.seq > after)
      return { lines, next: lines.at(-1)?.seq ?? after }
    },
    names: () => [...books.keys()],
  }
}

const logsPath = /^\/_local\/logs\/([^/?]+)$/

export function functionLogRoutes(logs: FunctionLogs): GatewayRoute[] {
  return [
    {
      name: 'local-logs',
      matches: (path) => logsPath.test(path),
      respond: async (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://local')
        const name = decodeURIComponent(logsPath.exec(url.pathname)![1]!)
        const afterText = url.searchParams.get('after')
        const after = afterText === null ? 0 : Number(afterText)
        if (!Number.isSafeInteger(after) || after < 0) {
          writeProblem(res, 400, 'Bad Request', `after=${afterText}: a line number (0 or more)`)
          return
        }
        const read = logs.read(name, after)
        if (!read) {
          writeProblem(
            res,
            404,
            'Not Found',
            `no function ${name} in this system (functions: ${logs.names().join(', ')})`,
          )
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(read))
      },
    },
  ]
}
