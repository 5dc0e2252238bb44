import { StringDecoder } from 'node:string_decoder'
import { createSecureContext, getCACertificates } from 'node:tls'
import { Agent, request } from 'undici'
import { AddressRefusedError, addressGuardedConnector, type ResolveHost } from './address-guard.ts'
import type { AllowedNetworks } from './endpoint-url.ts'

// One HTTP attempt at delivering a webhook: a POST through one shared keep-alive undici Agent whose
// connector checks every address before a socket opens (address-guard.ts). Whatever happens, the
// attempt ends within its timeout with an outcome to record; `send` never throws.

export const defaultAttemptTimeoutMs = 10_000
export const defaultResponseBodyLimit = 4_096
export const defaultConnectionsPerOrigin = 64

export interface OutgoingWebhookRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export type AttemptErrorKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'address' | 'other'

export interface AttemptResponse {
  statusCode: number
  /** Names in lower case; a header sent several times has its values joined with ', '. */
  headers: Record<string, string>
  /** The first `responseBodyLimit` bytes as UTF-8 text, cut at a character boundary (invalid bytes and NUL become U+FFFD). */
  body: string
  /** True when the receiver sent more than was kept, or the body was cut off by an error. */
  bodyTruncated: boolean
}

export interface AttemptOutcome {
  startedAt: Date
  /** The whole attempt, in whole milliseconds. */
  durationMs: number
  /** Present once the receiver sent a status line and headers. */
  response?: AttemptResponse
  /**
   * Present when the attempt did not complete; then it failed, whatever `response` says. Both are
   * present when the body was cut off after the headers (a timeout or a reset mid-body): the
   * response is kept for the attempt log, but an answer not finished within the limit counts as
   * none, like a receiver that never answered (the retry is safe: receivers deduplicate by event id).
   */
  error?: { kind: AttemptErrorKind; message: string }
}

export interface WebhookSenderOptions {
  allowed: AllowedNetworks
  /** The whole attempt: connect, TLS, sending, headers and body. Default 10 s. */
  timeoutMs?: number | undefined
  /** Response body bytes kept; the rest is not read (the connection is closed instead). Default 4096. */
  responseBodyLimit?: number | undefined
  /** Resolves endpoint host names; the system resolver unless a test injects one. */
  resolve?: ResolveHost | undefined
  /**
   * PEM certificates of authorities trusted besides Node's default ones (Mozilla's, plus
   * NODE_EXTRA_CA_CERTS): for receivers behind a private CA, and for the tests' self-signed server.
   */
  extraCa?: readonly string[] | undefined
  /** Connections kept per origin (scheme, host and port). Default 64. */
  connections?: number | undefined
}

/** What makes one attempt: a WebhookSender, or a stand-in in tests. */
export interface AttemptSender {
  send(request: OutgoingWebhookRequest): Promise<AttemptOutcome>
}

/**
 * One attempt through `sender`; a sender that throws (WebhookSender never does) is recorded as an
 * attempt that failed with that error, as any failure is.
 */
export async function sendAttempt(
  sender: AttemptSender,
  request: OutgoingWebhookRequest,
  startedAt: Date,
): Promise<AttemptOutcome> {
  try {
    return await sender.send(request)
  } catch (error) {
    return { startedAt, durationMs: 0, error: { kind: 'other', message: String(error) } }
  }
}

/** Only a complete 2xx answer is a success: a body cut off by the deadline or a reset is no answer. */
export function attemptSucceeded(outcome: AttemptOutcome): boolean {
  const statusCode = outcome.response?.statusCode
  return outcome.error === undefined && statusCode !== undefined && statusCode >= 200 && statusCode < 300
}

export class WebhookSender implements AttemptSender {
  readonly timeoutMs: number
  readonly responseBodyLimit: number
  readonly #agent: Agent

  constructor(options: WebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? defaultAttemptTimeoutMs
    this.responseBodyLimit = options.responseBodyLimit ?? defaultResponseBodyLimit
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new Error('timeoutMs must be a positive integer')
    if (!Number.isInteger(this.responseBodyLimit) || this.responseBodyLimit < 0) {
      throw new Error('responseBodyLimit must be a non-negative integer')
    }
    // Passing `ca` to tls.connect would replace the default authorities, and build a context per
    // connection: one context, built once, trusts both.
    const secureContext =
      options.extraCa === undefined || options.extraCa.length === 0
        ? undefined
        : createSecureContext({ ca: [...getCACertificates('default'), ...options.extraCa] })
    this.#agent = new Agent({
      connect: addressGuardedConnector({
        allowed: options.allowed,
        resolve: options.resolve,
        timeoutMs: this.timeoutMs,
        secureContext,
      }),
      connections: options.connections ?? defaultConnectionsPerOrigin,
      allowH2: false,
      // undici's own timers (300 s by default) stay at the attempt's limit; the abort signal in
      // send() is what holds the attempt as a whole to it.
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    })
  }

  /** Makes one attempt: POST `body` with `headers` to `url`. Never throws; never follows a redirect. */
  async send(outgoing: OutgoingWebhookRequest): Promise<AttemptOutcome> {
    const startedAt = new Date()
    const start = performance.now()
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs)
    const finish = (outcome: Omit<AttemptOutcome, 'startedAt' | 'durationMs'>): AttemptOutcome => ({
      startedAt,
      durationMs: Math.round(performance.now() - start),
      ...outcome,
    })
    let answer: Awaited<ReturnType<typeof request>>
    try {
      answer = await request(outgoing.url, {
        dispatcher: this.#agent,
        method: 'POST',
        headers: outgoing.headers,
        body: outgoing.body,
        signal: deadline.signal,
      })
    } catch (error) {
      clearTimeout(timer)
      return finish({ error: this.#attemptError(error, deadline.signal, false) })
    }
    const body = await readBody(answer.body, this.responseBodyLimit)
    clearTimeout(timer)
    const response: AttemptResponse = {
      statusCode: answer.statusCode,
      headers: plainHeaders(answer.headers),
      body: body.text,
      bodyTruncated: body.truncated,
    }
    if (body.error === undefined) return finish({ response })
    return finish({ response, error: this.#attemptError(body.error, deadline.signal, true) })
  }

  /** Closes the kept-alive connections once the attempts in flight are done. */
  close(): Promise<void> {
    return this.#agent.close()
  }

  #attemptError(error: unknown, deadline: AbortSignal, headersArrived: boolean): NonNullable<AttemptOutcome['error']> {
    const kind = deadline.aborted ? 'timeout' : attemptErrorKind(error)
    // The abort signal usually fires first; undici's own timers, set to the same limit, may win.
    if (kind === 'timeout') {
      return {
        kind: 'timeout',
        message: headersArrived
          ? `the response body was still arriving after ${this.timeoutMs} ms, the limit for a whole attempt`
          : `no answer within ${this.timeoutMs} ms, the limit for a whole attempt (connect, TLS, request, headers and body)`,
      }
    }
    const message = errorMessage(error)
    if (kind === 'reset') return { kind, message: `the connection closed before a complete answer (${message})` }
    return { kind, message }
  }
}

const timeoutCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ETIMEDOUT',
  'ABORT_ERR',
])
const refusedCodes = new Set(['ECONNREFUSED'])
const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET'])
const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA'])
// OpenSSL's verification codes (DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
// CERT_HAS_EXPIRED...), Node's ERR_TLS_* and ERR_SSL_*, and EPROTO (a handshake gone wrong).
const tlsCode = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|UNABLE_TO_|EPROTO$)|CERT/

/** The kind of a failed attempt, from the codes of the error, its causes and (happy eyeballs) its parts. */
export function attemptErrorKind(error: unknown): AttemptErrorKind {
  const codes = new Set<string>()
  let isAddress = false
  const visit = (value: unknown, depth: number) => {
    if (depth > 5 || typeof value !== 'object' || value === null) return
    if (value instanceof AddressRefusedError) isAddress = true
    if ('code' in value && typeof value.code === 'string') codes.add(value.code)
    if ('name' in value && (value.name === 'TimeoutError' || value.name === 'AbortError')) codes.add('ABORT_ERR')
    if ('cause' in value) visit(value.cause, depth + 1)
    if (value instanceof AggregateError) for (const part of value.errors) visit(part, depth + 1)
  }
  visit(error, 0)
  const has = (set: ReadonlySet<string>) => [...codes].some((code) => set.has(code))
  if (isAddress) return 'address'
  if (has(timeoutCodes)) return 'timeout'
  if ([...codes].some((code) => tlsCode.test(code))) return 'tls'
  if (has(dnsCodes)) return 'dns'
  if (has(refusedCodes)) return 'refused'
  if (has(resetCodes)) return 'reset'
  return 'other'
}

/** An error's message with its causes', and each part's for an AggregateError (whose own is often empty). */
function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const parts = error instanceof AggregateError ? error.errors.map(errorMessage) : []
  const own = error.message !== '' ? error.message : ((error as NodeJS.ErrnoException).code ?? error.name)
  const cause = error.cause instanceof Error ? errorMessage(error.cause) : undefined
  return [parts.length > 0 ? parts.join('; ') : own, cause].filter((part) => part !== undefined).join(': ')
}

function plainHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const plain: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) plain[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return plain
}

/**
 * Reads at most `limit` bytes of a response body. Once more has arrived than that, the stream is
 * destroyed, which closes the connection: a 100 MB answer costs one chunk, not 100 MB. An error
 * mid-body (the deadline, a reset) ends the reading; what had arrived is kept.
 */
async function readBody(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  limit: number,
): Promise<{ text: string; truncated: boolean; error?: unknown }> {
  const chunks: Buffer[] = []
  let kept = 0
  try {
    for await (const chunk of body) {
      const room = limit - kept
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room))
        body.destroy()
        return { text: keptBodyText(Buffer.concat(chunks), true), truncated: true }
      }
      chunks.push(chunk)
      kept += chunk.length
    }
    return { text: keptBodyText(Buffer.concat(chunks), false), truncated: false }
  } catch (error) {
    return { text: keptBodyText(Buffer.concat(chunks), true), truncated: true, error }
  }
}

/**
 * The kept bytes of a response body as text. A body cut short loses the bytes of a character it cut
 * in two; invalid UTF-8 becomes U+FFFD, and so does NUL, which a PostgreSQL text column refuses.
 */
export function keptBodyText(bytes: Buffer, cut: boolean): string {
  const decoder = new StringDecoder('utf8')
  const text = cut ? decoder.write(bytes) : decoder.write(bytes) + decoder.end()
  return text.replaceAll('\u0000', '\uFFFD')
}
