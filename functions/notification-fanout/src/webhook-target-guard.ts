import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// Webhook URLs come from users, so a webhook could otherwise reach the cluster's own services
// (server-side request forgery): the kube API, the metadata endpoint at 169.254.169.254, a database.
// Every address a host resolves to is checked, and the connection is made through a lookup that
// checks again, so a DNS answer that changes between the check and the connect (rebinding) is
// refused too. Networks on WEBHOOK_ALLOWED_NETWORKS are exempt (tests use a loopback receiver).
// URL hosts are judged after WHATWG parsing, which already turns 2130706433, 0x7f.1 and 0177.0.0.1
// into 127.0.0.1 and [::ffff:127.0.0.1] into [::ffff:7f00:1].

const privateNetworks = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  privateNetworks.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // NAT64 local-use prefix (RFC 8215): translates to any IPv4
  ['100::', 64], // discard
  ['2001::', 32], // Teredo (the IPv4 inside is obfuscated: refuse the whole prefix)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, AWS metadata fd00:ec2::254
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  privateNetworks.addSubnet(network, prefix, 'ipv6')
}

export type AddressPolicy = { readonly allowed: BlockList }

/** Builds the exemptions from `["127.0.0.1/32", "10.1.2.3"]` (a bare address is one host). */
export function addressPolicy(allowedNetworks: readonly string[]): AddressPolicy {
  const allowed = new BlockList()
  for (const entry of allowedNetworks) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : undefined
    if (family === undefined) throw new TypeError(`${entry} is not an IP address or CIDR network`)
    if (prefix === undefined) allowed.addAddress(address, family)
    else allowed.addSubnet(address, Number(prefix), family)
  }
  return { allowed }
}

/** The 8 groups of an IPv6 address (valid per `isIP`), a trailing dotted quad included. */
function ipv6Groups(address: string): number[] {
  let text = address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

const dottedQuad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`

/**
 * The IPv4 address an IPv6 address carries to, when it is one that reaches IPv4: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64 with the well-known prefix
 * (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address)
  const prefix = groups
    .slice(0, 6)
    .map((group) => group.toString(16))
    .join(':')
  if (['0:0:0:0:0:ffff', '0:0:0:0:ffff:0', '64:ff9b:0:0:0:0'].includes(prefix))
    return dottedQuad(groups[6]!, groups[7]!)
  if (groups[0] === 0x2002) return dottedQuad(groups[1]!, groups[2]!)
  return undefined
}

/** Loopback, private, link-local, CGNAT, multicast, reserved, unspecified (IPv4 or IPv6). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return privateNetworks.check(address, 'ipv4')
  if (family === 6) {
    // ::ffff:10.0.0.1 reaches 10.0.0.1: judge an address that carries IPv4 by the IPv4 inside.
    const inner = embeddedIpv4(address)
    if (inner !== undefined) return privateNetworks.check(inner, 'ipv4')
    return privateNetworks.check(address, 'ipv6')
  }
  return true
}

export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  if (!isPrivateAddress(address)) return true
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
  return policy.allowed.check(address, family)
}

export class RefusedTargetError extends Error {
  override readonly name = 'RefusedTargetError'
}

export type LookupAddress = { address: string; family: number }
/** Every address of a host name, as `dns.lookup(name, { all: true })` answers. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  )

/**
 * Resolves the URL's host and refuses it when any address is private and not allowed. Resolution
 * failures are returned as they are (the caller treats them as transient).
 */
export async function checkWebhookTarget(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ ok: true; addresses: string[] } | { ok: false; reason: string }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const addresses = isIP(host) ? [host] : (await resolve(host)).map((entry) => entry.address)
  if (addresses.length === 0) return { ok: false, reason: `${host} resolves to no address` }
  const refused = addresses.find((address) => !isAddressAllowed(address, policy))
  if (refused !== undefined) {
    return { ok: false, reason: `${host} resolves to ${refused}, a private address that is not allowed` }
  }
  return { ok: true, addresses }
}

/**
 * A `lookup` for net/tls connect that applies the same check at connect time, on the answer the
 * connection will actually use. (An IP-literal host never reaches a lookup: the check covers it.)
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined
        const addresses = answers.filter((entry) => wanted === undefined || entry.family === wanted)
        const refused = addresses.find((entry) => !isAddressAllowed(entry.address, policy))
        if (refused !== undefined) {
          return callback(new RefusedTargetError(`${hostname} resolves to ${refused.address}`), '', 0)
        }
        const first = addresses[0]
        if (first === undefined) {
          const error = Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' })
          return callback(error, '', 0)
        }
        if (options.all)
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
        return callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    )
  }
}
