import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  answerInvalidCloudEventsWith400,
  authenticate,
  ConfigError,
  createSinkEmitter,
  createTokenVerifier,
  decodeTaskflowEvent,
  done,
  failed,
  parseSinkOverrides,
  positiveInt,
  readConfig,
  rejected,
  respond,
  toResponse,
  unavailable,
  unprocessable,
} from '../../../function-kit/src/index.ts'
import { type RuntimeServer, serveWithRuntime } from '../../support/function-runtime.ts'
import { type RecordingSink, startRecordingSink } from '../../support/recording-sink.ts'
import { taskCreated, taskSnapshot } from '../../support/task-events.ts'

describe('outcome -> status', () => {
  it('maps done to 2xx, permanent to 400/422 and transient to 500/503', () => {
    expect(toResponse(done()).statusCode).toBe(204)
    expect(toResponse(done({ ok: true }))).toMatchObject({ statusCode: 200, body: { ok: true } })
    expect(toResponse(rejected('unknown type')).statusCode).toBe(400)
    expect(toResponse(unprocessable('bad data')).statusCode).toBe(422)
    expect(toResponse(unavailable('db down')).statusCode).toBe(503)
    expect(toResponse(failed('bug')).statusCode).toBe(500)
  })

  it('renders failures as problem+json with the reason', () => {
    expect(toResponse(unprocessable('data.task.status: invalid'))).toMatchObject({
      headers: { 'content-type': 'application/problem+json' },
      body: { status: 422, detail: 'data.task.status: invalid' },
    })
  })

  it('respond() turns a thrown transient error into 503 and any other into 500', async () => {
    const context = { headers: {} }
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(
      (
        await respond(
          context,
          () => Promise.reject(refused),
          () => true,
        )
      ).statusCode,
    ).toBe(503)
    expect(
      (
        await respond(
          context,
          () => Promise.reject(new TypeError('bug')),
          () => false,
        )
      ).statusCode,
    ).toBe(500)
  })

  it('respond() answers 422 when the database cannot store the input, so it is dead-lettered, not retried', async () => {
    // What pg throws for a NUL in text (22021) and for a btree entry over its size limit (54000).
    for (const code of ['22021', '22003', '54000']) {
      const refused = Object.assign(new Error(`refused (${code})`), { code })
      const response = await respond(
        { headers: {} },
        () => Promise.reject(refused),
        () => false,
      )
      expect(response.statusCode, code).toBe(422)
      expect(response.body).toMatchObject({ detail: expect.stringContaining(`refused (${code})`) })
    }
  })
})

describe("faas-js-runtime's own CloudEvent validation", () => {
  let runtime: RuntimeServer
  beforeAll(async () => {
    runtime = await serveWithRuntime({
      init: () => {
        expect(answerInvalidCloudEventsWith400()).toBe(true)
      },
      handle: async () => ({ statusCode: 204, headers: {}, body: '' }),
    })
  })
  afterAll(async () => {
    await runtime?.close()
  })

  it('answers an event its SDK refuses, or a batch, with 400 and the reason, not 500 (which Knative retries)', async () => {
    const valid = { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' }
    const refused = [
      { ...valid, 'ce-source': '' },
      { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s' },
      { ...valid, 'ce-dataschema': '::' },
      { ...valid, 'ce-Foo_Bar': 'x' },
    ]
    for (const headers of refused) {
      const response = await request(runtime.url, { method: 'POST', headers, body: '' })
      const body = (await response.body.json()) as { message?: string }
      expect(response.statusCode, JSON.stringify(headers)).toBe(400)
      expect(body.message).toMatch(/invalid/)
    }
    // A batch: the runtime would call validate() on the array it reads and fail with a TypeError.
    for (const body of ['[]', JSON.stringify([{ specversion: '1.0', id: '1', source: '/s', type: 't' }])]) {
      const response = await request(runtime.url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body,
      })
      expect(response.statusCode, body).toBe(400)
      expect(((await response.body.json()) as { message?: string }).message).toMatch(/batch/)
    }
    const accepted = await request(runtime.url, { method: 'POST', headers: valid, body: '' })
    await accepted.body.dump()
    expect(accepted.statusCode).toBe(204)
  })
})

describe('decodeTaskflowEvent', () => {
  it('accepts an event built by createEvent', () => {
    const decoded = decodeTaskflowEvent(taskCreated(taskSnapshot()))
    expect(decoded.ok).toBe(true)
  })

  it('answers 400 for an unknown type and 422 for data failing its schema', () => {
    const event = taskCreated(taskSnapshot())
    const unknown = decodeTaskflowEvent({ ...event, type: 'com.example.other' })
    const invalid = decodeTaskflowEvent({ ...event, data: { task: { id: 'not-a-uuid' } } })
    expect(unknown.ok ? 0 : unknown.outcome.status).toBe(400)
    expect(invalid.ok ? 0 : invalid.outcome.status).toBe(422)
  })
})

describe('config', () => {
  const schema = z.object({ RETENTION_DAYS: positiveInt(90) })

  it('applies defaults and treats an empty variable as unset', () => {
    expect(readConfig(schema, {})).toEqual({ RETENTION_DAYS: 90 })
    expect(readConfig(schema, { RETENTION_DAYS: '' })).toEqual({ RETENTION_DAYS: 90 })
    expect(readConfig(schema, { RETENTION_DAYS: '7' })).toEqual({ RETENTION_DAYS: 7 })
  })

  it('throws one ConfigError naming the bad variable', () => {
    expect(() => readConfig(schema, { RETENTION_DAYS: '-1' })).toThrow(ConfigError)
    expect(() => readConfig(schema, { RETENTION_DAYS: 'soon' })).toThrow(/RETENTION_DAYS/)
  })
})

describe('authentication', () => {
  const verifyDevToken = createTokenVerifier({ mode: 'development' })

  it('accepts Bearer dev.<userId> and names the caller', async () => {
    expect(await authenticate({ authorization: 'Bearer dev.alice' }, verifyDevToken)).toEqual({
      ok: true,
      caller: { userId: 'alice' },
    })
  })

  it('refuses a missing header, another scheme and a malformed token', async () => {
    expect(await authenticate({}, verifyDevToken)).toMatchObject({
      ok: false,
      error: { reason: 'missing-credentials' },
    })
    expect(await authenticate({ authorization: 'Basic YTpi' }, verifyDevToken)).toMatchObject({ ok: false })
    expect(await authenticate({ authorization: 'Bearer alice' }, verifyDevToken)).toMatchObject({ ok: false })
  })
})

describe('K_SINK emitter', () => {
  let sink: RecordingSink
  let url: string
  let nextStatus = 202

  beforeAll(async () => {
    sink = await startRecordingSink()
    sink.reply = () => ({ status: nextStatus })
    url = sink.url
  })
  afterAll(async () => {
    await sink?.close()
  })

  it('POSTs a binary-mode CloudEvent with the K_CE_OVERRIDES extensions', async () => {
    const event = taskCreated(taskSnapshot())
    const emitter = createSinkEmitter({
      url,
      overrides: parseSinkOverrides('{"extensions":{"emitter":"audit-log"}}'),
    })
    nextStatus = 202
    expect((await emitter.emit(event)).kind).toBe('done')
    const last = sink.requests.at(-1)!
    expect(last.headers['ce-id']).toBe(event.id)
    expect(last.headers['ce-type']).toBe(event.type)
    expect(last.headers['ce-emitter']).toBe('audit-log')
    expect(JSON.parse(last.body)).toEqual(event.data)
  })

  it('a 5xx or 429 from the sink is transient (503), another 4xx is 500', async () => {
    const emitter = createSinkEmitter({ url })
    const event = taskCreated(taskSnapshot())
    nextStatus = 500
    expect(await emitter.emit(event)).toMatchObject({ kind: 'transient', status: 503 })
    nextStatus = 429
    expect(await emitter.emit(event)).toMatchObject({ kind: 'transient', status: 503 })
    nextStatus = 400
    expect(await emitter.emit(event)).toMatchObject({ kind: 'transient', status: 500 })
  })

  it('an unreachable sink is transient (503)', async () => {
    const emitter = createSinkEmitter({ url: 'http://127.0.0.1:1/' })
    expect(await emitter.emit(taskCreated(taskSnapshot()))).toMatchObject({ kind: 'transient', status: 503 })
  })

  it('K_CE_OVERRIDES that is not a JSON object is a clear error', () => {
    expect(() => parseSinkOverrides('[1]')).toThrow(/K_CE_OVERRIDES/)
    expect(() => parseSinkOverrides('{oops')).toThrow(/K_CE_OVERRIDES/)
  })
})
