import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { invoke } from '../../../local/src/invoke.ts'
import { writeSystemState } from '../../../local/src/system-state.ts'

describe('npm run invoke (kn func invoke for the local system)', () => {
  let server: Server
  let url: string
  const received: { headers: IncomingHttpHeaders; body: string }[] = []

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

  it('sends kn func invoke defaults in binary mode', async () => {
    expect(await invoke(['audit-log', '--url', url])).toBe(0)
    const last = received.at(-1)!
    expect(last.headers['ce-type']).toBe('boson.fn')
    expect(last.headers['ce-source']).toBe('/boson/fn')
    expect(last.headers['ce-specversion']).toBe('1.0')
    expect(JSON.parse(last.body)).toEqual({ message: 'Hello World' })
  })

  it('sends the given type and data, structured when asked', async () => {
    const code = await invoke([
      'x',
      '--url',
      url,
      '--type',
      't.y',
      '--data',
      '{"a":1}',
      '--format',
      'structured',
    ])
    expect(code).toBe(0)
    const last = received.at(-1)!
    expect(last.headers['content-type']).toContain('application/cloudevents+json')
    expect(JSON.parse(last.body)).toMatchObject({ type: 't.y', data: { a: 1 } })
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
      expect(received.at(-1)!.headers.authorization).toBe('Bearer source-token')
      expect(await invoke(['audit-log', '--url', url, '--token', 'given'])).toBe(0)
      expect(received.at(-1)!.headers.authorization).toBe('Bearer given')
      expect(await invoke(['audit-log', '--url', url])).toBe(0)
      expect(received.at(-1)!.headers.authorization).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('exits 1 when the function rejects the event and 2 on bad arguments', async () => {
    expect(await invoke(['x', '--url', url, '--data', '{"fail":true}'])).toBe(1)
    expect(await invoke(['x', '--url', url, '--data', '{not json'])).toBe(2)
    expect(await invoke([])).toBe(2)
  })
})
