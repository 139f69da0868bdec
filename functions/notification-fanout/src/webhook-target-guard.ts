import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// Webhook URLs come from users, so a webhook could otherwise reach the cluster's own services
// (server-side request forgery): the kube API, the metadata endpoint at 169.254.169.254, a database.
// Every address a host resolves to is checked, and the connection is made through a lookup that
// checks again, so a DNS answer that changes between the check and the connect (rebinding) is
// refused too. Networks on WEBHOOK_ALLOWED_NETWORKS are exempt (tests use a loopback receiver).

const privateNetworks = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateNetworks.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
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

/** Loopback, private, link-local, CGNAT, multicast, reserved, unspecified (IPv4 or IPv6). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return privateNetworks.check(address, 'ipv4')
  if (family === 6) {
    // ::ffff:10.0.0.1 reaches 10.0.0.1: judge an IPv4-mapped address by the IPv4 inside.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped?.[1] !== undefined) return privateNetworks.check(mapped[1], 'ipv4')
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

type LookupAddress = { address: string; family: number }
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

const systemResolver: Resolver = (hostname) =>
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

/** A `lookup` for net/tls connect that applies the same check at connect time. */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const refused = addresses.find((entry) => !isAddressAllowed(entry.address, policy))
      if (refused !== undefined) {
        return callback(new RefusedTargetError(`${hostname} resolves to ${refused.address}`), '', 0)
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]!
      return callback(null, first.address, first.family)
    })
  }
}
