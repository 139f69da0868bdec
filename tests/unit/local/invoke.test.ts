import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { eventTypeList, httpCodec, parseEvent } from '../../../events/src/index.ts'
import { invoke } from '../../../local/src/invoke.ts'
import { writeSystemState } from '../../../local/src/system-state.ts'
import { runCli } from '../../support/run-cli.ts'

type Received = { headers: IncomingHttpHeaders; body: string }

describe('npm run invoke (kn func invoke for the local system and remote functions)', () => {
  let server: Server
  let url: string
  const received: Received[] = []
  const last = () => received.at(-1)!

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.writeHead(body.includes('fail') ? 422 : 204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    vi.spyOn(console, 'info').mockImplementation(() => {})
    vi.spyOn(console, 'error').mockImplementation(() => {})
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    await new Promise((resolve) => server.close(resolve))
  })

  it('sends by default a task.created sample that the event contract accepts', async () => {
    expect(await invoke(['audit-log', '--target', url])).toBe(0)
    const event = httpCodec.decode({ headers: last().headers, body: last().body })
    expect(event.ok && event.value.type).toBe('dev.taskflow.task.created')
    expect(event.ok && parseEvent(event.value).ok).toBe(true)
  })

  it.each(eventTypeList)('sends a sample %s that validates against its schema', async (type) => {
    expect(await invoke(['--target', url, '--type', type])).toBe(0)
    const decoded = httpCodec.decode({ headers: last().headers, body: last().body })
    if (!decoded.ok) throw decoded.error
    const parsed = parseEvent(decoded.value)
    expect(parsed.ok ? parsed.value.type : parsed.error.message).toBe(type)
  })

  it('sends --data byte for byte with its content type, even when it is not valid JSON', async () => {
    expect(await invoke(['x', '--target', url, '--type', 't.y', '--data', '{"a":1}'])).toBe(0)
    expect(last().headers['ce-type']).toBe('t.y')
    expect(last().headers['content-type']).toBe('application/json')
    expect(last().body).toBe('{"a":1}')
    expect(await invoke(['--target', url, '--data', '{not json'])).toBe(0)
    expect(last().body).toBe('{not json')
    expect(await invoke(['--target', url, '--data', 'hi', '--content-type', 'text/plain'])).toBe(0)
    expect([last().headers['content-type'], last().body]).toEqual(['text/plain', 'hi'])
  })

  it('reads the data of --file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taskflow-invoke-'))
    try {
      const file = join(dir, 'event.json')
      await writeFile(file, '{"from":"file"}')
      expect(await invoke(['--target', url, '--file', file])).toBe(0)
      expect(last().body).toBe('{"from":"file"}')
      expect(await invoke(['--target', url, '--file', join(dir, 'missing.json')])).toBe(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('sends structured mode when asked, embedding JSON data', async () => {
    const code = await invoke([
      '--target',
      url,
      '--type',
      't.y',
      '--data',
      '{"a":1}',
      '--format',
      'structured',
    ])
    expect(code).toBe(0)
    expect(last().headers['content-type']).toContain('application/cloudevents+json')
    expect(JSON.parse(last().body)).toMatchObject({ type: 't.y', data: { a: 1 } })
  })

  it('sends the running system’s token for the function as the sender, or the --token given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taskflow-invoke-'))
    try {
      const stateFile = join(dir, 'system.json')
      await writeSystemState(
        {
          pid: process.pid,
          startedAt: new Date().toISOString(),
          gateway: url,
          functions: { 'audit-log': url },
          status: url,
          invokeTokens: { 'audit-log': 'source-token' },
        },
        stateFile,
      )
      // The file holds credentials: private to its owner.
      expect((await stat(stateFile)).mode & 0o077).toBe(0)
      expect(await invoke(['audit-log', '--state-file', stateFile])).toBe(0)
      expect(last().headers.authorization).toBe('Bearer source-token')
      expect(await invoke(['audit-log', '--target', url, '--token', 'given'])).toBe(0)
      expect(last().headers.authorization).toBe('Bearer given')
      expect(await invoke(['audit-log', '--target', url])).toBe(0)
      expect(last().headers.authorization).toBeUndefined()
      expect(await invoke(['nope', '--state-file', stateFile])).toBe(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('exits 1 when the function rejects the event or is unreachable, 2 on bad arguments', async () => {
    expect(await invoke(['x', '--target', url, '--data', '{"fail":true}'])).toBe(1)
    expect(await invoke(['--target', 'http://127.0.0.1:1/'])).toBe(1)
    for (const args of [
      [],
      ['--target', 'not a url'],
      ['--target', url, '--data', '{}', '--file', 'x'],
      ['--target', url, '--format', 'xml'],
      ['--target', url, '--content-type', 'text/plain'],
      ['--target', url, '--format', 'structured', '--data', '{not json'],
      ['--target', url, '--bogus'],
      ['a', 'b', '--target', url],
    ]) {
      expect(await invoke(args), args.join(' ')).toBe(2)
    }
  })

  it('as a command: --help, unknown flags with the usage (2), a notice that the event is handled for real', async () => {
    const help = await runCli('local/src/invoke.ts', ['--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toContain('Usage: npm run invoke')
    for (const type of eventTypeList) expect(help.stdout).toContain(type)

    const unknown = await runCli('local/src/invoke.ts', ['audit-log', '--bogus'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*Usage: npm run invoke/)
    expect(unknown.stderr).not.toMatch(/\n\s+at /)

    const dryRun = await runCli('local/src/invoke.ts', ['--target', url, '--dry-run'])
    expect(dryRun.code).toBe(0)
    expect(dryRun.stdout).toContain('ce-type: dev.taskflow.task.created')

    const sent = await runCli('local/src/invoke.ts', ['audit-log', '--target', url])
    expect(sent.code).toBe(0)
    expect(sent.stderr).toMatch(/handles dev\.taskflow\.task\.created .* for real/)
    expect(sent.stdout).toContain(`204 from audit-log (${url})`)
  })
})
