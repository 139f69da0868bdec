import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createEvent,
  EventTypes,
  httpCodec,
  type TaskflowEvent,
  type TaskSnapshot,
} from '../../../events/src/index.ts'
import {
  kafkaSinkApiVersion,
  resourceAudience,
  senderSubject,
  sourceApiVersion,
} from '../../../sources/src/sender-identity.ts'
import { taskSnapshot } from '../../support/task-events.ts'
import {
  backends,
  eventually,
  realServicesAvailable,
  type SystemUnderTest,
  startOnBackend,
} from '../e2e/local-system.ts'

// Issue 19, findings 1-3: only a function's own sources may invoke it, only a KafkaSink's allowed
// senders may write to its topic. The local system runs Knative's sender identity as a cluster with
// `authentication-oidc` does: each source sends its own token, each receiver checks it.

const realServices = await realServicesAvailable()

const namespace = 'taskflow'
const kafkaSource = (name: string) =>
  senderSubject({ apiVersion: sourceApiVersion, kind: 'KafkaSource', name, namespace })
const sinkBinding = (name: string) =>
  senderSubject({ apiVersion: sourceApiVersion, kind: 'SinkBinding', name, namespace })
const serviceAudience = (name: string) => `serving.knative.dev/service/${namespace}/${name}`
const sinkAudience = (name: string) =>
  resourceAudience({ apiVersion: kafkaSinkApiVersion, kind: 'KafkaSink', name, namespace })

const functionNames = ['audit-log', 'notification-fanout', 'reminders'] as const
/** A token with no signature (`alg: none`), claiming whatever it likes. */
const unsigned = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
const deletedTask = (actor: string) =>
  createEvent({
    type: EventTypes.TaskDeleted,
    source: '/taskflow/api',
    data: { task: taskSnapshot({ createdBy: actor }) },
    actor,
  })

for (const backend of backends) {
  describe.runIf(!backend.real || realServices)(`sender identity [${backend.name}]`, () => {
    let sut: SystemUnderTest

    beforeAll(async () => {
      sut = await startOnBackend(backend, {})
    }, 180_000)
    afterAll(async () => {
      await sut?.stop()
    }, 60_000)

    const post = async (url: string, event: TaskflowEvent, token?: string) => {
      const { headers, body } = httpCodec.encode(event, { mode: 'binary' })
      const response = await request(url, {
        method: 'POST',
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
        body,
      })
      await response.body.dump()
      return response.statusCode
    }
    const token = (subject: string, audience: string) => sut.system.issuer.token(subject, audience)
    const functionUrl = (name: string) => sut.system.functions.get(name)!.url
    const sinkUrl = (name: string) => sut.system.sinks.get(name)!.url

    const taskOf = async (user: string, id: string) =>
      (await (await sut.request(`/tasks/${id}`, { user })).json()) as TaskSnapshot
    const forgedWatcher = (task: TaskSnapshot, watcher: string) =>
      createEvent({
        type: EventTypes.TaskUpdated,
        source: '/taskflow/api',
        data: {
          task: { ...task, watchers: [...task.watchers, watcher], version: task.version + 1 },
          changes: { watchers: { previous: task.watchers, current: [...task.watchers, watcher] } },
        },
        actor: task.createdBy,
      })

    it('a forged task.updated adding a watcher is refused (401) and opens no audit trail', async () => {
      const created = (await (
        await sut.request('/tasks', { method: 'POST', user: 'alice', body: { title: 'private' } })
      ).json()) as { id: string }
      await eventually(
        async () => (await sut.request(`/tasks/${created.id}/audit`, { user: 'alice' })).status === 200,
        'the task in alice’s audit trail',
      )
      const forged = forgedWatcher(await taskOf('alice', created.id), 'mallory')
      expect(await post(functionUrl('audit-log'), forged)).toBe(401)
      expect((await sut.request(`/tasks/${created.id}/audit`, { user: 'mallory' })).status).toBe(404)

      // Control: only the token was missing. The same event from the audit-log source is recorded.
      const fromSource = await token(kafkaSource('audit-log'), serviceAudience('audit-log'))
      expect(await post(functionUrl('audit-log'), forged, fromSource)).toBeLessThan(300)
      expect((await sut.request(`/tasks/${created.id}/audit`, { user: 'mallory' })).status).toBe(200)
    })

    it('every function refuses no token or an unsigned one (401), one replayed from another audience (401) and another source (403)', async () => {
      const event = deletedTask('mallory')
      for (const name of functionNames) {
        const own = kafkaSource(name)
        const stranger = kafkaSource(functionNames.find((other) => other !== name)!)
        expect(await post(functionUrl(name), event), `${name}: no token`).toBe(401)
        const claims = {
          iss: sut.system.issuer.issuer,
          aud: serviceAudience(name),
          sub: own,
          exp: 9_999_999_999,
        }
        expect(await post(functionUrl(name), event, unsigned(claims)), `${name}: unsigned`).toBe(401)
        expect(
          await post(functionUrl(name), event, await token(own, sinkAudience('dead-letters'))),
          `${name}: its own source's dead-letter token, replayed`,
        ).toBe(401)
        expect(
          await post(functionUrl(name), event, await token(stranger, serviceAudience(name))),
          `${name}: another function's source`,
        ).toBe(403)
      }
    })

    it('a forged reminder.due posted to the reminder-events KafkaSink is refused and notifies nobody', async () => {
      const forged = createEvent({
        type: EventTypes.ReminderDue,
        source: '/taskflow/functions/reminders',
        data: {
          taskId: crypto.randomUUID(),
          title: 'wire me money',
          remindAt: new Date().toISOString(),
          dueAt: null,
          assignee: 'victim',
          watchers: [],
          createdBy: 'mallory',
        },
      })
      expect(await post(sinkUrl('reminder-events'), forged)).toBe(401)
      const attempts = [
        // The reminders binding's token, replayed from the other sink.
        { subject: sinkBinding('reminders'), audience: sinkAudience('notification-events'), status: 401 },
        // A valid token for this sink, of a sender its EventPolicy does not name.
        {
          subject: sinkBinding('notification-fanout'),
          audience: sinkAudience('reminder-events'),
          status: 403,
        },
      ]
      for (const { subject, audience, status } of attempts)
        expect(await post(sinkUrl('reminder-events'), forged, await token(subject, audience))).toBe(status)
      expect(sut.system.sinks.get('reminder-events')!.stats().accepted).toBe(0)
      const notifications = await sut.request('/notifications', { user: 'victim' })
      expect(notifications.status).toBe(200)
      expect(((await notifications.json()) as { notifications: unknown[] }).notifications).toEqual([])
    })

    it('each KafkaSink refuses no token, an unsigned or replayed one (401) and senders its EventPolicy does not name (403)', async () => {
      const expected: Record<string, string[]> = {
        'reminder-events': [sinkBinding('reminders')],
        'notification-events': [sinkBinding('notification-fanout')],
        'dead-letters': functionNames.map(kafkaSource),
      }
      const statusOf = async (sink: string, authorization?: string) => {
        const response = await request(sinkUrl(sink), {
          method: 'POST',
          headers: authorization === undefined ? {} : { authorization },
        })
        await response.body.dump()
        return response.statusCode
      }
      for (const [sink, allowed] of Object.entries(expected)) {
        const sender = allowed[0]!
        expect(await statusOf(sink), `no token -> ${sink}`).toBe(401)
        const claims = {
          iss: sut.system.issuer.issuer,
          aud: sinkAudience(sink),
          sub: sender,
          exp: 9_999_999_999,
        }
        expect(await statusOf(sink, `Bearer ${unsigned(claims)}`), `unsigned -> ${sink}`).toBe(401)
        const elsewhere = await token(sender, serviceAudience('audit-log'))
        expect(await statusOf(sink, `Bearer ${elsewhere}`), `replayed -> ${sink}`).toBe(401)
        const refused = [...functionNames.map(kafkaSource), ...functionNames.map(sinkBinding)].filter(
          (subject) => !allowed.includes(subject),
        )
        for (const subject of refused)
          expect(
            await statusOf(sink, `Bearer ${await token(subject, sinkAudience(sink))}`),
            `${subject} -> ${sink}`,
          ).toBe(403)
      }
    })

    it('functions grant no CORS: a preflight gets no Allow-Origin, nor does any answer', async () => {
      const origin = { origin: 'https://evil.example' }
      for (const name of functionNames) {
        const preflight = await request(functionUrl(name), {
          method: 'OPTIONS',
          headers: {
            ...origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'ce-id',
          },
        })
        await preflight.body.dump()
        const refused = await request(functionUrl(name), { method: 'POST', headers: origin, body: '{}' })
        await refused.body.dump()
        for (const response of [preflight, refused])
          expect(
            Object.keys(response.headers).filter((header) => header.startsWith('access-control-')),
            name,
          ).toEqual([])
      }
    })

    it('function processes listen on loopback only', async () => {
      const external = Object.values(networkInterfaces())
        .flat()
        .find((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      if (external === undefined) {
        if (process.env.CI === 'true') throw new Error('CI machine without a non-loopback IPv4 interface')
        console.warn('skipped: this machine has no non-loopback IPv4 interface to probe from')
        return
      }
      const name = 'audit-log'
      const invoke = await sut.system.invokeToken(name)
      const event = deletedTask('alice')
      expect(await post(functionUrl(name), event, invoke)).toBeLessThan(300)
      const port = await eventually(
        () =>
          sut.system.functions
            .get(name)!
            .processes()
            .find((p) => p.state === 'ready')?.port ?? undefined,
        'a ready audit-log process',
      )
      const reachable = (host: string) =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host, port }, () => {
            socket.destroy()
            resolve(true)
          })
          socket.once('error', () => resolve(false))
        })
      expect(await reachable('127.0.0.1')).toBe(true)
      expect(await reachable(external.address)).toBe(false)
    })
  })
}
