import { BlockList, isIP } from 'node:net'

// Where a webhook may point, secure by default (no server-side request forgery): an absolute
// https URL without credentials whose host, when it is an IP literal, is a public address. The
// networks of FLEX_WEBHOOK_ALLOW_NETWORKS are opened, and plain http only to them, for on-premise
// receivers, the tests and the demo. Host names are checked here by their text only: the delivery
// worker resolves them and checks every address it connects to with `addressProblem`.

/**
 * Non-public networks, with the word a refusal names them by. IPv4-mapped IPv6 is not listed:
 * those addresses are unwrapped and checked as the IPv4 address they are (BlockList would match a
 * ::ffff:0:0/96 rule against every IPv4 address).
 */
const nonPublicNetworks: readonly (readonly [string, number, 'ipv4' | 'ipv6', string])[] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT (shared)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata lives here)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved (IETF protocol assignments)'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved (including broadcast)'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64 (an IPv4 address in disguise)'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64 (an IPv4 address in disguise)'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['2002::', 16, 'ipv6', '6to4 (an IPv4 address in disguise)'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local (deprecated, private)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
]

const nonPublic = nonPublicNetworks.map(([network, prefix, family, kind]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, family)
  return { list, kind }
})

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1, ::ffff:7f00:1) as its IPv4; any other as itself, unbracketed. */
export function unwrapMappedAddress(address: string): string {
  const plain = address.replace(/^\[|\]$/g, '')
  if (isIP(plain) !== 6) return plain
  // WHATWG URL writes an IPv6 host in its canonical form: ::ffff:127.0.0.1 becomes ::ffff:7f00:1.
  const canonical = new URL(`http://[${plain}]/`).hostname.slice(1, -1)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical)
  if (!mapped?.[1] || !mapped[2]) return plain
  const high = Number.parseInt(mapped[1], 16)
  const low = Number.parseInt(mapped[2], 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/** The networks FLEX_WEBHOOK_ALLOW_NETWORKS opens, as CIDR strings such as 127.0.0.0/8 or ::1/128. */
export class AllowedNetworks {
  readonly cidrs: readonly string[]
  readonly #list = new BlockList()

  constructor(cidrs: readonly string[] = []) {
    this.cidrs = cidrs
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr)
      if (typeof parsed === 'string') throw new Error(parsed)
      this.#list.addSubnet(parsed.network, parsed.prefix, parsed.family)
    }
  }

  has(address: string): boolean {
    const plain = unwrapMappedAddress(address)
    const family = isIP(plain)
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/** A CIDR as BlockList takes it, or why it is not one. */
export function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const [network = '', prefixText, ...rest] = cidr.trim().split('/')
  const family = isIP(network)
  const max = family === 4 ? 32 : 128
  if (family === 0 || prefixText === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) {
    return `"${cidr}" is not a CIDR: write an address, a slash and a prefix length, such as 127.0.0.0/8 or ::1/128`
  }
  const prefix = Number(prefixText)
  if (prefix > max) return `"${cidr}": an IPv${family} prefix length is 0 to ${max}`
  return { network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' }
}

/**
 * Why a webhook may not connect to this IP address, or undefined when it may: a public address,
 * or one in the allowed networks. Pure, so the delivery worker checks each address it connects to
 * with it (DNS answers included).
 */
export function addressProblem(address: string, allowed: AllowedNetworks): string | undefined {
  const plain = unwrapMappedAddress(address)
  const family = isIP(plain)
  if (family === 0) return `${address} is not an IP address`
  if (allowed.has(plain)) return undefined
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const kind = nonPublic.find(({ list }) => list.check(plain, type))?.kind
  if (kind === undefined) return undefined
  return `${address} is not a public address (${kind}); to deliver there, list its network in FLEX_WEBHOOK_ALLOW_NETWORKS`
}

const maxEndpointLength = 2_048

/**
 * Why `endpoint` cannot be a webhook's endpoint, or undefined when it can. Literal IP hosts are
 * checked here; names other than localhost are checked by the worker on the addresses they resolve to.
 */
export function endpointProblem(endpoint: string, allowed: AllowedNetworks): string | undefined {
  if (endpoint.length > maxEndpointLength) return `endpoint must be at most ${maxEndpointLength} characters`
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'endpoint must be an absolute URL, such as https://example.com/webhooks/flex'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `endpoint must be an https URL; ${url.protocol.slice(0, -1)} is not delivered to`
  }
  if (url.username !== '' || url.password !== '') {
    return 'endpoint must not carry credentials (user:password@); send them as a custom header instead'
  }
  if (url.hash !== '') return 'endpoint must not have a #fragment: it is never sent'
  // WHATWG URL has already normalised the host: 0x7f.1 and 2130706433 are 127.0.0.1, IPv6 is bracketed.
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const localhost = host === 'localhost' || host.endsWith('.localhost')
  const addresses = localhost ? ['127.0.0.1', '::1'] : isIP(host) !== 0 ? [host] : []
  if (addresses.length > 0) {
    const inAllowed = addresses.some((address) => allowed.has(address))
    if (!inAllowed) {
      const problem = localhost
        ? `${host} is not a public address (loopback); to deliver there, list 127.0.0.0/8 or ::1/128 in FLEX_WEBHOOK_ALLOW_NETWORKS`
        : addressProblem(host, allowed)
      if (problem !== undefined) return `endpoint must be a public address: ${problem}`
    }
    if (url.protocol === 'http:' && !inAllowed) {
      return 'endpoint must be an https URL; plain http goes only to the networks of FLEX_WEBHOOK_ALLOW_NETWORKS'
    }
    return undefined
  }
  if (url.protocol === 'http:') {
    return 'endpoint must be an https URL; plain http goes only to IP addresses in the networks of FLEX_WEBHOOK_ALLOW_NETWORKS'
  }
  return undefined
}
