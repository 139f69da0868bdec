// `npm start -- --overlay prod` runs what a prod cluster gets: production mode in the Task API and in
// every function, so development tokens are refused end to end and the environment's signed tokens
// (standing in for the overlay's placeholder identity provider) carry a task to its audit trail.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readLocalConfig } from '../../../local/src/config.ts'
import { type LocalSystem, startLocalSystem } from '../../../local/src/system.ts'
import { eventually } from '../../support/eventually.ts'
import { kubectlAvailable } from '../../support/services.ts'

const secret = 'an-hs256-secret-of-at-least-32-bytes'

describe.runIf(kubectlAvailable())('npm start --overlay prod', () => {
  let system: LocalSystem
  let dataDir: string
  const sign = (user: string) =>
    new SignJWT({ sub: user })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret))
  const request = async (path: string, token: string, body?: unknown) =>
    fetch(new URL(path, system.url), {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    })

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'taskflow-overlay-'))
    const config = readLocalConfig(
      {
        PORT: '0',
        LOG_LEVEL: 'silent',
        AUTH_JWT_SECRET: secret,
        PGLITE_DATA_DIR: join(dataDir, 'pglite'),
        COMMIT_INTERVAL_MS: '500',
        STATUS_INTERVAL_MS: '0',
      },
      ['--overlay', 'prod'],
    )
    system = await startLocalSystem(config, pino({ level: 'silent' }))
  })
  afterAll(async () => {
    await system?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('refuses development tokens at the Task API and at the function behind it; signed tokens pass', async () => {
    expect((await request('/tasks', 'dev.alice', { title: 'dev token' })).status).toBe(401)
    const created = await request('/tasks', await sign('alice'), { title: 'signed' })
    expect(created.status).toBe(201)
    const task = (await created.json()) as { id: string }
    const trail = await eventually(async () => {
      const response = await request(`/tasks/${task.id}/audit`, await sign('alice'))
      const entries =
        response.status === 200 ? ((await response.json()) as { entries: unknown[] }).entries : []
      return entries.length > 0 ? entries : undefined
    }, 'the audit entry of the signed task')
    expect(trail).toMatchObject([{ taskId: task.id, actor: 'alice' }])
    expect((await request(`/tasks/${task.id}/audit`, 'dev.alice')).status).toBe(401)
  })
})
