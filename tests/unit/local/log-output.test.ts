import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { LocalConfigError, readLocalConfig } from '../../../local/src/config.ts'
import { createLogger, prettyFunctionOutput, resolveLogFormat } from '../../../local/src/log-output.ts'

// Issue 21: `npm start` logs readable lines on a terminal and JSON lines otherwise; LOG_FORMAT forces either.

function capture(format: 'json' | 'pretty'): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const destination = new PassThrough()
  let text = ''
  destination.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const logger = createLogger({ format, destination, colorize: false, base: { service: 'taskflow-local' } })
  return { logger, text: () => text }
}

describe('npm start logs', () => {
  it('LOG_FORMAT is json or pretty; unset, a terminal gets pretty lines and anything else JSON', () => {
    expect(readLocalConfig({}).logFormat).toBeUndefined()
    expect(readLocalConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json')
    expect(readLocalConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty')
    expect(() => readLocalConfig({ LOG_FORMAT: 'xml' })).toThrow(LocalConfigError)
    expect(resolveLogFormat(undefined, true)).toBe('pretty')
    expect(resolveLogFormat(undefined, false)).toBe('json')
    expect(resolveLogFormat('json', true)).toBe('json')
    expect(resolveLogFormat('pretty', false)).toBe('pretty')
  })

  it('json: one JSON record a line', async () => {
    const { logger, text } = capture('json')
    logger.info({ step: 'functions', ms: 2300 }, 'functions: done in 2.3 s')
    await new Promise((resolve) => setImmediate(resolve))
    const record = JSON.parse(text().trim())
    expect(record).toMatchObject({ level: 30, msg: 'functions: done in 2.3 s', ms: 2300 })
  })

  it('pretty: time, level and message on one line, without pid, host or service', async () => {
    const { logger, text } = capture('pretty')
    logger.warn({ dataDir: '/tmp/x', step: 'PGlite' }, 'embedded PostgreSQL ready')
    await new Promise((resolve) => setImmediate(resolve))
    const lines = text().trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: embedded PostgreSQL ready {"dataDir":"\/tmp\/x"}$/,
    )
    expect(text()).not.toMatch(/pid|hostname|taskflow-local|step/)
  })

  it("a function process's JSON lines are made readable behind their prefix; other lines pass as they are", () => {
    const written: string[] = []
    const output = prettyFunctionOutput(false, (line) => written.push(line))
    output(
      `[audit-log 123] ${JSON.stringify({ level: 30, time: 0, pid: 123, msg: 'event handled' })}`,
      'stdout',
    )
    output('[audit-log 123] not json {', 'stderr')
    expect(written[0]).toMatch(/^\[audit-log 123\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO: event handled\n$/)
    expect(written[1]).toBe('[audit-log 123] not json {\n')
  })
})
