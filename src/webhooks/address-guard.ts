import dns, { type LookupAddress, type LookupAllOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import type { SecureContext } from 'node:tls'
import { buildConnector } from 'undici'
import { type AllowedNetworks, addressProblem } from './endpoint-url.ts'

// Where a webhook request may connect, checked on the address a socket is about to open to, not on
// the URL text (server-side request forgery: a public-looking name can resolve to 127.0.0.1 or to
// the cloud metadata service at 169.254.169.254, and change its answer between two requests).
//
// Two doors lead to a socket, and each is guarded before any packet leaves:
// - a host name goes through `lookup`, which Node's net.connect calls once per connection (with
//   every answer, for happy eyeballs); the guarded lookup hands on only the answers that pass;
// - an IP literal (127.0.0.1, [::1], [::ffff:127.0.0.1]) skips `lookup` in Node, so the connector
//   checks it itself before calling undici's.
// A kept-alive connection is reused only for the origin it was opened for, so it was checked then.

/** Resolves a host name to all its addresses, as `dns.promises.lookup` with `all: true` does. */
export type ResolveHost = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>

const systemResolver: ResolveHost = (hostname, options) => dns.promises.lookup(hostname, options)

/** A connection the guard refused; its message names the address and FLEX_WEBHOOK_ALLOW_NETWORKS. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED'
}

/**
 * Why a webhook request may not connect to `address` over `protocol`, or undefined when it may:
 * https to a public address or one in the allowed networks; plain http only to the allowed networks.
 */
export function connectionProblem(address: string, protocol: string, allowed: AllowedNetworks): string | undefined {
  if (protocol === 'https:') return addressProblem(address, allowed)
  if (protocol !== 'http:') return `${protocol.replace(/:$/, '')} is not delivered to; endpoints are https URLs`
  if (allowed.has(address)) return undefined
  return (
    addressProblem(address, allowed) ??
    `${address} is outside the networks of FLEX_WEBHOOK_ALLOW_NETWORKS, and plain http goes only to those; use https`
  )
}

/**
 * A `lookup` for net.connect that resolves every answer and passes on only those `problem` accepts;
 * when none is left it fails with an AddressRefusedError naming each refused answer. Picking the
 * good answers rather than refusing the name outright is as safe (no socket ever opens to an
 * unchecked address) and keeps a dual-stack name such as localhost working when only one of its
 * families is allowed, as endpointProblem accepted it.
 */
export function guardedLookup(resolve: ResolveHost, problem: (address: string) => string | undefined): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }).then(
      (answers) => {
        const passed = answers.filter((answer) => problem(answer.address) === undefined)
        const first = passed[0]
        if (first === undefined) {
          const reasons = [...new Set(answers.map((answer) => problem(answer.address)))]
          const error =
            answers.length === 0
              ? Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}: no address`), { code: 'ENOTFOUND' })
              : new AddressRefusedError(`${hostname} resolves only to refused addresses: ${reasons.join('; ')}`)
          callback(error, [])
        } else if (options.all) callback(null, passed)
        else callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    )
  }
}

export interface AddressGuardOptions {
  allowed: AllowedNetworks
  /** Resolves host names; the system resolver (getaddrinfo, as Node uses) unless a test injects one. */
  resolve?: ResolveHost | undefined
  /** Connect timeout (TCP and TLS handshake), ms. */
  timeoutMs: number
  /** The TLS trust to verify servers with; Node's default certificate authorities when absent. */
  secureContext?: SecureContext | undefined
}

/**
 * An undici connector (the `connect` option of an Agent) that opens a socket only to an address
 * `connectionProblem` accepts, over HTTP/1.1; undici's own connector does the rest.
 */
export function addressGuardedConnector(options: AddressGuardOptions): buildConnector.connector {
  const { allowed, resolve = systemResolver, timeoutMs, secureContext } = options
  const connectors = new Map(
    (['http:', 'https:'] as const).map((protocol) => [
      protocol,
      buildConnector({
        timeout: timeoutMs,
        // HTTP/1.1 only: a pool's `connections` then bounds the requests in flight to an origin.
        allowH2: false,
        lookup: guardedLookup(resolve, (address) => connectionProblem(address, protocol, allowed)),
        ...(secureContext === undefined ? {} : { secureContext }),
      }),
    ]),
  )
  return (connectOptions, callback) => {
    const connector = connectors.get(connectOptions.protocol as 'http:' | 'https:')
    const host = connectOptions.hostname.replace(/^\[|\]$/g, '')
    const problem =
      connector === undefined || isIP(host) !== 0
        ? connectionProblem(host, connectOptions.protocol, allowed)
        : undefined
    if (connector === undefined || problem !== undefined) {
      callback(new AddressRefusedError(problem), null)
      return
    }
    // undici cancels a connection attempt through the socket the connector returns.
    return connector(connectOptions, callback)
  }
}
