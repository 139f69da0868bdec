import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataLockFile } from '../../../local/src/data-lock.ts'
import { startGateway } from '../../../local/src/gateway.ts'
import { holdPort } from '../../../local/src/port-check.ts'
import { localSystemEntry } from '../../support/entry-points.ts'
import { eventually } from '../../support/eventually.ts'
import { repoRoot } from '../../support/schemas.ts'

// Issue 21: npm start's port is taken in its first step and held until the gateway serves on it, so
// another process cannot take it during the start (the check used to bind and let go).

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskflow-port-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function held(): Promise<Server> {
  const server = await holdPort('127.0.0.1', 0)
  if (typeof server === 'string') throw new Error(`could not hold a port: ${server}`)
  return server
}

describe('the port npm start holds', () => {
  it('answers 503 with Retry-After until the gateway takes it over, then the gateway serves', async () => {
    const server = await held()
    const port = (server.address() as AddressInfo).port
    const url = `http://127.0.0.1:${port}/anything`
    const starting = await request(url)
    expect(starting.statusCode).toBe(503)
    expect(starting.headers['retry-after']).toBe('1')
    expect(await starting.body.json()).toMatchObject({
      status: 503,
      detail: expect.stringContaining('starting'),
    })
    // Nobody else can take it meanwhile.
    expect(await holdPort('127.0.0.1', port)).toBe('EADDRINUSE')

    const gateway = await startGateway({
      host: '127.0.0.1',
      port,
      listening: server,
      allowedHosts: ['127.0.0.1'],
      logger: pino({ level: 'silent' }),
      routes: [
        {
          name: 'own',
          matches: () => true,
          respond: async (_req, res) => {
            res.writeHead(200).end('gateway')
          },
        },
      ],
    })
    try {
      expect(gateway.url.port).toBe(String(port))
      const served = await request(url)
      expect(served.statusCode).toBe(200)
      expect(await served.body.text()).toBe('gateway')
    } finally {
      await gateway.close()
    }
    expect(server.listening).toBe(false)
  })

  it('npm start holds its port from before its slow steps: another process cannot bind it', async () => {
    const probe = await held()
    const port = (probe.address() as AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    const dataDir = join(dir, 'data')
    const child = spawn(process.execPath, [localSystemEntry], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, PORT: String(port), PGLITE_DATA_DIR: dataDir, LOG_FORMAT: 'json' },
      stdio: 'ignore',
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      // The data lock is taken after the port: from then on the port is held.
      await eventually(() => existsSync(dataLockFile(dataDir)), 'the start under way')
      expect(await holdPort('127.0.0.1', port)).toBe('EADDRINUSE')
      const answer = await request(`http://127.0.0.1:${port}/tasks`)
      expect([503, 401]).toContain(answer.statusCode)
      await answer.body.dump()
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })
})
