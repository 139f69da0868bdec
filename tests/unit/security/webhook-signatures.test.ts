import { randomUUID } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { OutgoingNotification } from '../../../functions/notification-fanout/src/channel-result.ts'
import {
  createWebhookSender,
  type WebhookSender,
} from '../../../functions/notification-fanout/src/webhook-channel.ts'
import { addressPolicy } from '../../../functions/notification-fanout/src/webhook-target-guard.ts'
import {
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../support/webhook-receiver.ts'

// The webhook sender's real deliveries against a receiver written from the README's verification
// procedure (tests/support/webhook-receiver.ts): what is signed verifies, and a replayed or altered
// request is refused by that procedure.

const secret = 'a-user-chosen-webhook-secret'
const loopbackOnly = addressPolicy(['127.0.0.1/32'])

const notification = (): OutgoingNotification => ({
  notificationId: randomUUID(),
  recipient: 'bob',
  kind: 'task.created',
  taskId: randomUUID(),
  title: 'Ship the release',
  message: 'New task assigned to bob',
  causeEventId: randomUUID(),
  occurredAt: '2026-08-23T10:00:00.000Z',
})

describe('signed webhook deliveries', () => {
  const opened: { close(): Promise<void> }[] = []
  afterEach(async () => {
    for (const resource of opened.splice(0)) await resource.close()
  })
  async function receiver(options: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver(options)
    opened.push(started)
    return started
  }
  function sender(now?: () => Date): WebhookSender {
    const created = createWebhookSender({
      policy: loopbackOnly,
      timeoutMs: 5000,
      ...(now === undefined ? {} : { now }),
    })
    opened.push(created)
    return created
  }
  /** Sends a captured request again, as an attacker who saw it on the wire would, optionally altered. */
  async function resend(
    to: WebhookReceiver,
    captured: ReceivedRequest,
    change: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
      headers[name] = String(captured.headers[name])
    const response = await request(to.url, {
      method: 'POST',
      headers: { ...headers, ...change.headers },
      body: change.body ?? captured.body,
    })
    await response.body.dump()
    return response.statusCode
  }

  it('a delivery verifies and is processed once; the same request replayed is not processed again', async () => {
    const hook = await receiver({ secret })
    const deliveryId = randomUUID()
    expect(await sender().send({ url: hook.url, secret }, notification(), deliveryId)).toEqual({
      status: 'delivered',
    })
    expect(hook.processed).toEqual([deliveryId])
    const captured = hook.requests[0]!
    expect(captured.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)

    expect(await resend(hook, captured)).toBe(200)
    expect(hook.requests[1]?.verdict).toEqual({ ok: false, reason: 'id already processed' })
    expect(hook.processed).toEqual([deliveryId])
  })

  it('an altered body, timestamp or id is refused', async () => {
    const hook = await receiver({ secret })
    await sender().send({ url: hook.url, secret }, notification(), randomUUID())
    const captured = hook.requests[0]!
    const timestamp = Number(captured.headers['webhook-timestamp'])
    const altered: { body?: string; headers?: Record<string, string> }[] = [
      { body: captured.body.replace('Ship the release', 'Wire the money') },
      { headers: { 'webhook-timestamp': String(timestamp + 1) } },
      { headers: { 'webhook-id': randomUUID() } },
      { headers: { 'webhook-signature': 'v2,whatever v1,' } },
    ]
    for (const change of altered) expect(await resend(hook, captured, change)).toBe(401)
    expect(hook.requests.slice(1).map((entry) => entry.verdict)).toEqual(
      altered.map(() => ({ ok: false, reason: 'no matching signature' })),
    )
    expect(await resend(hook, captured, { headers: { 'webhook-id': '' } })).toBe(401)
    expect(hook.processed).toHaveLength(1)
  })

  it('a request older than the tolerance is refused, even with an id never seen', async () => {
    let receiverNow = Math.floor(Date.now() / 1000)
    const hook = await receiver({ secret, nowSeconds: () => receiverNow })
    hook.failures.push(503)
    const deliveryId = randomUUID()
    // The receiver was down: the request verified but was not processed.
    expect(await sender().send({ url: hook.url, secret }, notification(), deliveryId)).toMatchObject({
      status: 'retry',
    })
    receiverNow += 301
    expect(await resend(hook, hook.requests[0]!)).toBe(401)
    expect(hook.requests[1]?.verdict).toEqual({ ok: false, reason: 'timestamp outside the tolerance' })

    // A sender whose clock is 10 minutes behind is refused the same way, and is told so (final).
    const late = sender(() => new Date(Date.now() - 600_000))
    expect(await late.send({ url: hook.url, secret }, notification(), randomUUID())).toEqual({
      status: 'failed',
      detail: expect.stringContaining('answered 401'),
    })
    expect(hook.processed).toEqual([])
  })

  it('every attempt of one delivery carries the same id, so the receiver processes it once', async () => {
    const hook = await receiver({ secret })
    hook.failures.push(503)
    const webhook = sender()
    const deliveryId = randomUUID()
    const sent = notification()
    expect((await webhook.send({ url: hook.url, secret }, sent, deliveryId)).status).toBe('retry')
    expect((await webhook.send({ url: hook.url, secret }, sent, deliveryId)).status).toBe('delivered')
    // The answer to the second attempt was lost, say: a third attempt is acknowledged, not redone.
    expect((await webhook.send({ url: hook.url, secret }, sent, deliveryId)).status).toBe('delivered')
    expect(hook.requests.map((entry) => entry.headers['webhook-id'])).toEqual([
      deliveryId,
      deliveryId,
      deliveryId,
    ])
    expect(hook.processed).toEqual([deliveryId])
  })

  it('the Standard Webhooks reference library verifies real deliveries, for both forms of secret', async () => {
    const standard = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
    for (const [userSecret, library] of [
      [standard, new Webhook(standard)],
      [secret, new Webhook(secret, { format: 'raw' })],
    ] as const) {
      const hook = await receiver({ secret: userSecret })
      const sent = notification()
      await sender().send({ url: hook.url, secret: userSecret }, sent, randomUUID())
      const { headers, body } = hook.requests[0]!
      const asStrings = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(headers[name])]),
      )
      expect(library.verify(body, asStrings)).toMatchObject({ notificationId: sent.notificationId })
      expect(() => library.verify(body.replace('bob', 'eve'), asStrings)).toThrow(/signature/i)
    }
  })

  it('a whsec_ secret verifies as the key it encodes; another secret verifies nothing', async () => {
    const standard = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
    const hook = await receiver({ secret: standard })
    expect(
      (await sender().send({ url: hook.url, secret: standard }, notification(), randomUUID())).status,
    ).toBe('delivered')
    const stranger = await receiver({ secret: 'not-the-secret-the-user-set' })
    expect(await sender().send({ url: stranger.url, secret }, notification(), randomUUID())).toEqual({
      status: 'failed',
      detail: expect.stringContaining('answered 401'),
    })
    expect(stranger.requests[0]?.verdict).toEqual({ ok: false, reason: 'no matching signature' })
  })
})
