import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type AuditLogFunction, createAuditLog } from '../../../functions/audit-log/src/audit-log.ts'
import { readAuditLogConfig } from '../../../functions/audit-log/src/config.ts'
import {
  type PostedEvent,
  postBinary as postBinaryTo,
  postStructured as postStructuredTo,
  type RuntimeServer,
  serveWithRuntime,
} from '../../support/function-runtime.ts'
import { describeEachDatabase } from '../../support/postgres.ts'
import { taskCreated, taskSnapshot, taskUpdated } from '../../support/task-events.ts'
import { type DatabaseProxy, proxyDatabaseUrl } from '../../support/tcp-proxy.ts'

// The audit-log function served by faas-js-runtime's own HTTP server, as `npm start` runs it, with
// the database behind a TCP proxy so a test can cut it. Status codes are the contract with the
// Knative dispatcher: 2xx done, 4xx dead-letter at once, 5xx retry.

await describeEachDatabase('audit-log over faas-js-runtime', (backend) => {
  let proxy: DatabaseProxy
  let auditLog: AuditLogFunction
  let server: RuntimeServer
  let baseUrl: string

  beforeAll(async () => {
    proxy = await proxyDatabaseUrl(backend.url)
    auditLog = createAuditLog({ config: readAuditLogConfig({ DATABASE_URL: proxy.url }) })
    server = await serveWithRuntime(auditLog)
    baseUrl = server.url
  })
  afterAll(async () => {
    await server?.close()
    await auditLog?.shutdown()
    await proxy?.close()
  })

  const postBinary = (event: PostedEvent) => postBinaryTo(baseUrl, event)
  const postStructured = (event: PostedEvent) => postStructuredTo(baseUrl, event)
  async function countRows(taskId: string): Promise<number> {
    const result = await backend.query('select count(*)::int as n from audit.entries where task_id = $1', [
      taskId,
    ])
    return result.rows[0].n
  }

  it('/health/readiness answers 200', async () => {
    const response = await request(`${baseUrl}/health/readiness`)
    expect(response.statusCode).toBe(200)
    await response.body.dump()
  })

  it('a binary-mode task event is recorded with 200', async () => {
    const task = taskSnapshot()
    const response = await postBinary(taskCreated(task))
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect(await countRows(task.id)).toBe(1)
  })

  it('a structured-mode task event is recorded with 200', async () => {
    const task = taskSnapshot()
    const response = await postStructured(taskCreated(task))
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect(await countRows(task.id)).toBe(1)
  })

  it('a duplicate delivery (same source and id) has no second effect', async () => {
    const task = taskSnapshot()
    const event = taskCreated(task)
    const first = await postBinary(event)
    const second = await postStructured(event)
    await first.body.dump()
    await second.body.dump()
    expect([first.statusCode, second.statusCode]).toEqual([200, 204])
    expect(await countRows(task.id)).toBe(1)
  })

  it('a poison event gets 4xx: 422 for data failing its schema, 400 for an unknown type', async () => {
    const task = taskSnapshot()
    const badData = await postBinary({
      ...taskCreated(task),
      data: { task: { ...task, priority: 'whenever' } },
    })
    const unknownType = await postBinary({ ...taskCreated(task), type: 'dev.taskflow.task.archived' })
    expect(badData.statusCode).toBe(422)
    expect(badData.headers['content-type']).toContain('application/problem+json')
    expect(unknownType.statusCode).toBe(400)
    await badData.body.dump()
    await unknownType.body.dump()
    expect(await countRows(task.id)).toBe(0)
  })

  it('answers 503 while the database is cut off, then records the redelivery once it is back', async () => {
    const task = taskSnapshot()
    const event = taskUpdated(task, 'written during an outage')
    proxy.cut()
    try {
      const during = await postBinary(event)
      expect(during.statusCode).toBe(503)
      await during.body.dump()
    } finally {
      proxy.restore()
    }
    // pg's pool drops the broken connections on first use; the redelivery gets a fresh one.
    let after = await postBinary(event)
    for (let attempt = 0; after.statusCode === 503 && attempt < 5; attempt++) {
      await after.body.dump()
      after = await postBinary(event)
    }
    expect(after.statusCode).toBe(200)
    await after.body.dump()
    expect(await countRows(task.id)).toBe(1)
  })

  it('serves the audit trail over plain HTTP GET to a user who may see the task', async () => {
    const task = taskSnapshot({ createdBy: 'erin' })
    await (await postBinary(taskCreated(task))).body.dump()
    const response = await request(`${baseUrl}/?task=${task.id}`, {
      headers: { authorization: 'Bearer dev.erin' },
    })
    expect(response.statusCode).toBe(200)
    const page = (await response.body.json()) as { entries: { taskId: string }[] }
    expect(page.entries.map((entry) => entry.taskId)).toEqual([task.id])
  })
})
