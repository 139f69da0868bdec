// Where `npm start`'s logs go and how they look: readable lines on a terminal (pino-pretty), JSON
// lines otherwise (a file, a pipe, a log collector), or as LOG_FORMAT says. Function processes log
// JSON of their own; on a pretty terminal their lines are made readable too, behind their prefix.
import type { Writable } from 'node:stream'
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'
import pinoPretty from 'pino-pretty'
import type { OutputLine } from './serving/output-prefix.ts'

export type LogFormat = 'json' | 'pretty'

/** LOG_FORMAT when set, else pretty on a terminal and JSON otherwise. */
export function resolveLogFormat(setting: LogFormat | undefined, isTerminal: boolean): LogFormat {
  return setting ?? (isTerminal ? 'pretty' : 'json')
}

const prettyOptions = (colorize: boolean) => ({
  colorize,
  translateTime: 'SYS:HH:MM:ss.l',
  // `step` repeats the message of a progress line.
  ignore: 'pid,hostname,service,step',
  singleLine: true,
  // Synchronous: a line logged right before process.exit is not lost.
  sync: true,
})

/** A pino logger writing `format` to `destination` (default stdout). */
export function createLogger(
  options: LoggerOptions & { format: LogFormat; destination?: Writable; colorize?: boolean },
): Logger {
  const { format, destination, colorize, ...loggerOptions } = options
  const stream: DestinationStream | undefined =
    format === 'pretty'
      ? pinoPretty({
          ...prettyOptions(colorize ?? (destination === undefined && process.stdout.isTTY === true)),
          destination: destination ?? 1,
        })
      : destination
  return stream === undefined ? pino(loggerOptions) : pino(loggerOptions, stream)
}

/**
 * Function processes' output for a pretty terminal: a `[name pid] {pino JSON}` line becomes
 * `[name pid] 12:00:00.000 INFO: message`; anything else is passed on as it is.
 */
export function prettyFunctionOutput(
  colorize: boolean,
  write: (line: string, stream: 'stdout' | 'stderr') => void = (line, stream) =>
    (stream === 'stdout' ? process.stdout : process.stderr).write(line),
): OutputLine {
  const format = pinoPretty.prettyFactory(prettyOptions(colorize))
  return (line, stream) => {
    const match = /^(\[[^\]]*\]) (\{.*\})$/.exec(line)
    let record: unknown
    try {
      record = match === null ? undefined : JSON.parse(match[2]!)
    } catch {
      record = undefined
    }
    const isLogRecord = typeof record === 'object' && record !== null && 'level' in record && 'time' in record
    write(isLogRecord && match !== null ? `${match[1]} ${format(record)}` : `${line}\n`, stream)
  }
}
