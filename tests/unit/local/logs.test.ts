import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFunctionLogs, type FunctionLogs, functionLogRoutes } from '../../../local/src/function-logs.ts'
import type { OutputLine } from '../../../local/src/serving/output-prefix.ts'
import { runCli } from '../../support/run-cli.ts'
import { type SystemStub, startSystemStub } from '../../support/system-stub.ts'

describe('function logs kept by npm start', () => {
  it('records each line with its stream and a rising number, and still passes it on', () => {
    const logs = createFunctionLogs()
    const passed: string[] = []
    const record = logs.recorder('audit-log', (line, stream) => passed.push(`${stream} ${line}`))
    record('[audit-log 1] one', 'stdout')
    record('[audit-log 1] two', 'stderr')
    expect(passed).toEqual(['stdout [audit-log 1] one', 'stderr [audit-log 1] two'])
    const all = logs.read('audit-log')!
    expect(all.lines.map(({ seq, stream, line }) => ({ seq, stream, line }))).toEqual([
      { seq: 1, stream: 'stdout', line: '[audit-log 1] one' },
      { seq: 2, stream: 'stderr', line: '[audit-log 1] two' },
    ])
    expect(all.next).toBe(2)
    expect(logs.read('audit-log', 1)!.lines.map((line) => line.line)).toEqual(['[audit-log 1] two'])
    expect(logs.read('audit-log', 2)).toEqual({ lines: [], next: 2 })
    expect(logs.read('reminders')).toBeUndefined()
  })

  it('keeps the last lines of each function only', () => {
    const logs = createFunctionLogs(10)
    const a = logs.recorder('a', () => {})
    const b = logs.recorder('b', () => {})
    for (let i = 1; i <= 100; i++) a(`a ${i}`, 'stdout')
    b('b 1', 'stdout')
    const kept = logs.read('a')!.lines.map((line) => line.line)
    expect(kept.length).toBeGreaterThanOrEqual(10)
    expect(kept.length).toBeLessThanOrEqual(13)
    expect(kept.at(-1)).toBe('a 100')
    expect(logs.read('b')!.lines.map((line) => line.line)).toEqual(['b 1'])
  })
})

describe('npm run logs', () => {
  let stub: SystemStub
  let dir: string
  let stateFile: string
  let logs: FunctionLogs
  let write: OutputLine

  beforeAll(async () => {
    logs = createFunctionLogs()
    write = logs.recorder('audit-log', () => {})
    write('[audit-log 41] {"level":30,"time":1796677701302,"msg":"first"}', 'stdout')
    write('[audit-log 41] plain second', 'stderr')
    const [route] = functionLogRoutes(logs)
    stub = await startSystemStub((req, res) => {
      if (route && 'respond' in route && route.matches(new URL(req.url ?? '/', 'http://x').pathname))
        void route.respond(req, res)
      else res.writeHead(404).end()
    })
    ;({ dir, stateFile } = stub)
  })
  afterAll(() => stub?.close())

  it('prints what the function printed, each line on its stream, or as JSON; --tail keeps the last', async () => {
    const run = await runCli('local/src/logs-cli.ts', ['audit-log', '--state-file', stateFile])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('[audit-log 41] {"level":30,"time":1796677701302,"msg":"first"}\n')
    expect(run.stderr).toBe('[audit-log 41] plain second\n')
    const json = await runCli('local/src/logs-cli.ts', [
      'audit-log',
      '--json',
      '--tail',
      '1',
      '--state-file',
      stateFile,
    ])
    expect(json.code).toBe(0)
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([expect.objectContaining({ seq: 2, stream: 'stderr', line: '[audit-log 41] plain second' })])
  })

  it('--follow prints the lines that come later, until stopped', async () => {
    const child = spawn(
      process.execPath,
      ['local/src/logs-cli.ts', 'audit-log', '--follow', '--json', '--tail', '0', '--state-file', stateFile],
      { cwd: fileURLToPath(new URL('../../../', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    const later = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => write('[audit-log 41] later', 'stdout'), 700)
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('\n')) resolve(out)
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`exited ${code} early: ${out}`))
      })
    }).finally(() => child.kill('SIGINT'))
    expect(JSON.parse(later.split('\n')[0]!)).toMatchObject({ line: '[audit-log 41] later' })
  })

  it('names the functions there are for an unknown one, and answers --help and bad flags', async () => {
    const unknown = await runCli('local/src/logs-cli.ts', ['audit', '--state-file', stateFile])
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('functions: audit-log') })
    const help = await runCli('local/src/logs-cli.ts', ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--follow')
    for (const args of [[], ['audit-log', '--tail', 'some'], ['audit-log', '--bogus'], ['a', 'b']]) {
      const run = await runCli('local/src/logs-cli.ts', [...args, '--state-file', stateFile])
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain('Usage: npm run logs')
    }
    const none = await runCli('local/src/logs-cli.ts', ['audit-log', '--state-file', join(dir, 'none.json')])
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('npm start') })
  })
})
