import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OutgoingNotification } from '../../../functions/notification-fanout/src/channel-result.ts'
import {
  createWebhookSender,
  type WebhookSender,
} from '../../../functions/notification-fanout/src/webhook-channel.ts'
import {
  addressPolicy,
  checkWebhookTarget,
  type LookupAddress,
  type Resolver,
} from '../../../functions/notification-fanout/src/webhook-target-guard.ts'

// Server-side request forgery through user webhooks: every spelling of a loopback, private,
// link-local or metadata address is refused unless allow-listed; a redirect is never followed to
// one; a DNS answer pointing at one is refused, at check time and at connect time (rebinding).
// Receivers listen on 127.0.0.1 and 127.0.0.2 (Linux routes all of 127/8 on lo): a guard that let
// a request through would make them receive it, so "received nothing" is a real observation.

const secret = 'a-user-chosen-webhook-secret'
const none = addressPolicy([])

const notification = (): OutgoingNotification => ({
  notificationId: randomUUID(),
  recipient: 'bob',
  kind: 'task.created',
  taskId: randomUUID(),
  title: 'A task',
  message: 'New task',
  causeEventId: randomUUID(),
  occurredAt: '2026-08-23T10:00:00.000Z',
})

type Receiver = { port: number; hits: string[]; close(): Promise<void> }

async function listen(
  host: string,
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end(),
): Promise<Receiver> {
  const hits: string[] = []
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    req.resume()
    req.on('end', () => answer(req, res))
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** DNS answers by name; a list of answers per name is used in turn (the last one repeats). */
function resolverOf(answers: Record<string, string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname)
    const turns = answers[hostname] ?? [[]]
    const turn = turns[Math.min(calls.filter((name) => name === hostname).length, turns.length) - 1] ?? []
    return turn.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return Object.assign(resolve, { calls })
}

describe('webhook targets: every spelling of a non-public address is refused', () => {
  const refused = [
    // loopback
    'http://127.0.0.1/',
    'http://127.255.255.254/',
    'http://[::1]/',
    'http://localhost/',
    // private
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://[fc00::1]/',
    'http://[fdff:ffff::1]/',
    // link-local and cloud metadata
    'http://169.254.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://[febf:ffff::1]/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/',
    // IPv6 forms that carry a metadata or loopback IPv4 address
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:0:a9fe:a9fe]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[2002:a9fe:a9fe::1]/',
    'http://[::127.0.0.1]/',
    // decimal, hexadecimal, octal and short IPv4 spellings (WHATWG URL parsing normalises them)
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://0x7f.1/',
    'http://127.1/',
    'http://2852039166/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://0251.0376.0251.0376/',
    // unspecified, broadcast
    'http://0.0.0.0/',
    'http://[::]/',
    'http://255.255.255.255/',
  ]
  it.each(refused)('%s is refused', async (url) => {
    expect(await checkWebhookTarget(new URL(url), none)).toMatchObject({ ok: false })
  })

  it.each([
    'http://93.184.216.34/',
    'http://172.15.255.255/',
    'http://172.32.0.1/',
    'http://[2606:2800:220:1:248:1893:25c8:1946]/',
    'http://[::ffff:93.184.216.34]/',
    'http://[64:ff9b::5db8:d822]/',
  ])('%s (public) is allowed', async (url) => {
    expect(await checkWebhookTarget(new URL(url), none)).toMatchObject({ ok: true })
  })

  it('an allow-listed network is let through, and only that network', async () => {
    const policy = addressPolicy(['10.0.0.0/8', 'fd00:ec2::/32', '169.254.169.254'])
    for (const url of ['http://10.9.8.7/', 'http://[fd00:ec2::254]/', 'http://169.254.169.254/'])
      expect(await checkWebhookTarget(new URL(url), policy)).toMatchObject({ ok: true })
    for (const url of ['http://192.168.1.1/', 'http://169.254.169.253/', 'http://[fd00::1]/'])
      expect(await checkWebhookTarget(new URL(url), policy)).toMatchObject({ ok: false })
  })
})

describe('webhook deliveries to refused targets', () => {
  let first: Receiver
  let second: Receiver
  const senders: WebhookSender[] = []
  const sender = (allowed: string[], resolve?: Resolver) => {
    const created = createWebhookSender({
      policy: addressPolicy(allowed),
      timeoutMs: 5000,
      ...(resolve === undefined ? {} : { resolve }),
    })
    senders.push(created)
    return created
  }

  beforeAll(async () => {
    first = await listen('127.0.0.1', (req, res) => {
      // /redirect/<status> sends the caller on to the second receiver.
      const redirect = /^\/redirect\/(\d{3})$/.exec(req.url ?? '')
      if (redirect === null) return res.writeHead(204).end()
      res.writeHead(Number(redirect[1]), { location: `http://127.0.0.2:${second.port}/stolen` }).end()
    })
    second = await listen('127.0.0.2')
  })
  afterAll(async () => {
    for (const created of senders) await created.close()
    await first?.close()
    await second?.close()
  })

  it('other spellings of the receiver address are refused, and reach it once allow-listed', async () => {
    const spellings = [
      `http://2130706433:${first.port}/hook`,
      `http://0x7f.0.0.1:${first.port}/hook`,
      `http://[::ffff:127.0.0.1]:${first.port}/hook`,
      `http://localhost:${first.port}/hook`,
    ]
    const refusing = sender([])
    for (const url of spellings) {
      expect(await refusing.send({ url, secret }, notification(), randomUUID())).toEqual({
        status: 'failed',
        detail: expect.stringMatching(/^refused: .* a private address that is not allowed$/),
      })
    }
    expect(first.hits).toEqual([])
    const allowing = sender(['127.0.0.1/32', '::1/128'])
    for (const url of spellings)
      expect(await allowing.send({ url, secret }, notification(), randomUUID())).toEqual({
        status: 'delivered',
      })
    expect(first.hits).toHaveLength(spellings.length)
  })

  it.each([301, 302, 303, 307, 308])(
    'a %i from an allowed receiver to a refused address is not followed, and the result says why',
    async (status) => {
      const before = first.hits.length
      const result = await sender(['127.0.0.1/32']).send(
        { url: `http://127.0.0.1:${first.port}/redirect/${status}`, secret },
        notification(),
        randomUUID(),
      )
      expect(result).toEqual({
        status: 'failed',
        detail: `http://127.0.0.1:${first.port} answered ${status}: redirects are not followed`,
      })
      expect(first.hits.length - before).toBe(1)
      expect(second.hits).toEqual([])
    },
  )

  it('the redirect target was reachable all along (so "received nothing" means not followed)', async () => {
    const result = await sender(['127.0.0.2/32']).send(
      { url: `http://127.0.0.2:${second.port}/direct`, secret },
      notification(),
      randomUUID(),
    )
    expect(result).toEqual({ status: 'delivered' })
    expect(second.hits).toEqual(['POST /direct'])
    second.hits.length = 0
  })

  it('a name whose DNS answer is private is refused before connecting', async () => {
    const resolve = resolverOf({ 'hooks.example.test': [['93.184.216.34', '10.0.0.5']] })
    expect(
      await sender([], resolve).send(
        { url: `http://hooks.example.test:${first.port}/hook`, secret },
        notification(),
        randomUUID(),
      ),
    ).toEqual({
      status: 'failed',
      detail: 'refused: hooks.example.test resolves to 10.0.0.5, a private address that is not allowed',
    })
  })

  it('a DNS answer that changes to loopback between the check and the connect is refused at connect', async () => {
    // First answer (the check): public. Every later one (the connect): the receiver on loopback.
    const resolve = resolverOf({ 'rebind.example.test': [['93.184.216.34'], ['127.0.0.1']] })
    const before = first.hits.length
    const result = await sender([], resolve).send(
      { url: `http://rebind.example.test:${first.port}/hook`, secret },
      notification(),
      randomUUID(),
    )
    expect(result).toEqual({
      status: 'failed',
      detail: expect.stringContaining('refused: rebind.example.test resolves to 127.0.0.1'),
    })
    expect(resolve.calls).toEqual(['rebind.example.test', 'rebind.example.test'])
    expect(first.hits.length).toBe(before)
  })

  it('the connect uses the guarded answer: an allow-listed name reaches the receiver through it', async () => {
    const resolve = resolverOf({ 'receiver.example.test': [['127.0.0.1']] })
    const before = first.hits.length
    const result = await sender(['127.0.0.1/32'], resolve).send(
      { url: `http://receiver.example.test:${first.port}/via-lookup`, secret },
      notification(),
      randomUUID(),
    )
    expect(result).toEqual({ status: 'delivered' })
    expect(resolve.calls).toEqual(['receiver.example.test', 'receiver.example.test'])
    expect(first.hits.slice(before)).toEqual(['POST /via-lookup'])
  })
})
