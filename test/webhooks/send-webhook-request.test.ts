import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { guardedLookup, type ResolveHost } from '../../src/webhooks/address-guard.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import {
  type AttemptOutcome,
  attemptErrorKind,
  keptBodyText,
  WebhookSender,
} from '../../src/webhooks/send-webhook-request.ts'

const loopback = new AllowedNetworks(['127.0.0.0/8', '::1/128'])
const none = new AllowedNetworks()

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void

interface Receiver {
  url: string
  port: number
  /** Requests that reached the handler. */
  hits: number
  /** TCP connections accepted. */
  connections: number
  close(): Promise<void>
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function listen(server: Server, host: string, protocol: 'http' | 'https'): Promise<Receiver> {
  const sockets = new Set<Socket>()
  const receiver: Receiver = {
    url: '',
    port: 0,
    hits: 0,
    connections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const count = (socket: Socket) => {
    receiver.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  server.on(protocol === 'https' ? 'secureConnection' : 'connection', count)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  receiver.port = (server.address() as AddressInfo).port
  receiver.url = `${protocol}://${host.includes(':') ? `[${host}]` : host}:${receiver.port}/hook`
  closers.push(receiver.close)
  return receiver
}

/** A receiver on loopback that reads the whole request, then lets `handler` answer. */
async function startReceiver(handler: Handler, host = '127.0.0.1'): Promise<Receiver> {
  let receiver: Receiver | undefined
  const server = createServer((request, response) => {
    if (receiver) receiver.hits++
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => handler(request, response, Buffer.concat(chunks).toString('utf8')))
  })
  receiver = await listen(server, host, 'http')
  return receiver
}

/** Sends to a receiver and closes the sender afterwards. */
function senderFor(options: Partial<ConstructorParameters<typeof WebhookSender>[0]> = {}): WebhookSender {
  const sender = new WebhookSender({ allowed: loopback, ...options })
  closers.push(() => sender.close())
  return sender
}

const outgoing = (url: string, body = '{"type":"CUSTOMER.CREATED"}') => ({
  url,
  headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'x-event-id': 'evt-1' },
  body,
})

/** Writes to a response until the client goes away, respecting backpressure: an endless body. */
function streamForever(response: ServerResponse) {
  const block = Buffer.alloc(64 * 1024, 'x')
  let open = true
  response.on('close', () => {
    open = false
  })
  const pump = () => {
    while (open && response.write(block)) {
      // keep writing until the socket buffer is full
    }
    if (open) response.once('drain', pump)
  }
  pump()
}

describe('one webhook attempt, answered', () => {
  it('POSTs the body and headers and keeps the status, headers and body of the answer', async () => {
    const receiver = await startReceiver((request, response, body) => {
      response.setHeader('set-cookie', ['a=1', 'b=2'])
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ method: request.method, headers: request.headers, body }))
    })
    const sender = senderFor()
    const outcome = await sender.send(outgoing(receiver.url))

    expect(outcome.error).toBeUndefined()
    expect(outcome.startedAt).toBeInstanceOf(Date)
    expect(Number.isInteger(outcome.durationMs)).toBe(true)
    expect(outcome.response?.statusCode).toBe(200)
    expect(outcome.response?.bodyTruncated).toBe(false)
    expect(outcome.response?.headers['set-cookie']).toBe('a=1, b=2')
    expect(outcome.response?.headers['content-type']).toBe('application/json')
    const echoed = JSON.parse(outcome.response?.body ?? '')
    expect(echoed.method).toBe('POST')
    expect(echoed.body).toBe('{"type":"CUSTOMER.CREATED"}')
    expect(echoed.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'x-event-id': 'evt-1',
      'content-length': '27',
    })
  })

  it('keeps the connection alive between attempts to the same receiver', async () => {
    const receiver = await startReceiver((_request, response) => response.end('ok'))
    const sender = senderFor()
    for (let i = 0; i < 5; i++) expect((await sender.send(outgoing(receiver.url))).response?.statusCode).toBe(200)
    expect(receiver.hits).toBe(5)
    // undici's pool opens a second connection for the second request (the first is not yet marked
    // idle when it is dispatched), then reuses them.
    expect(receiver.connections).toBeLessThanOrEqual(2)
  })

  it('does not follow a redirect: the 3xx is the answer and its target is never asked', async () => {
    const target = await startReceiver((_request, response) => response.end('moved here'))
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(307, { location: target.url }).end()
    })
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response?.statusCode).toBe(307)
    expect(outcome.response?.headers.location).toBe(target.url)
    expect(target.connections).toBe(0)
  })

  it.each([400, 404, 410, 500, 503])('reports a %i as a response, not an error', async (status) => {
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`)
    })
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response).toMatchObject({ statusCode: status, body: `status ${status}`, bodyTruncated: false })
  })

  it('shows the Retry-After of a 429 in the response headers', async () => {
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(429, { 'retry-after': '120' }).end()
    })
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response?.statusCode).toBe(429)
    expect(outcome.response?.headers['retry-after']).toBe('120')
  })
})

describe('the response body', () => {
  it('keeps the first 4096 bytes of a 5 MB body, flags it truncated, and closes the connection', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 'a')
    const receiver = await startReceiver((_request, response) => response.end(big))
    const sender = senderFor()
    expect(sender.responseBodyLimit).toBe(4096)
    const outcome = await sender.send(outgoing(receiver.url))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response?.statusCode).toBe(200)
    expect(outcome.response?.body).toBe('a'.repeat(4096))
    expect(outcome.response?.bodyTruncated).toBe(true)
  })

  it('stops reading an endless body at the cap instead of holding it in memory', async () => {
    const receiver = await startReceiver((_request, response) => streamForever(response))
    // Were the body buffered, the attempt would run into its 5 s limit; it ends at the cap.
    const outcome = await senderFor({ timeoutMs: 5_000, responseBodyLimit: 1_000 }).send(outgoing(receiver.url))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response?.body).toBe('x'.repeat(1_000))
    expect(outcome.response?.bodyTruncated).toBe(true)
  })

  it('keeps a body exactly at the cap whole and not truncated', async () => {
    const receiver = await startReceiver((_request, response) => response.end('é'.repeat(5)))
    const outcome = await senderFor({ responseBodyLimit: 10 }).send(outgoing(receiver.url))
    expect(outcome.response).toMatchObject({ body: 'ééééé', bodyTruncated: false })
  })

  it('cuts at a character boundary, never inside a multi-byte character', async () => {
    const receiver = await startReceiver((_request, response) => response.end('aé€😀z'))
    const sender = senderFor({ responseBodyLimit: 8 })
    // a(1) é(2) €(3) = 6 bytes; 😀 takes 4 more, so it is dropped whole.
    expect((await sender.send(outgoing(receiver.url))).response).toMatchObject({ body: 'aé€', bodyTruncated: true })
  })

  it('turns NUL and invalid UTF-8 into U+FFFD, so the text can be stored', async () => {
    const receiver = await startReceiver((_request, response) => response.end(Buffer.from([0x61, 0x00, 0xff, 0x62])))
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response?.body).toBe('a\uFFFD\uFFFDb')
  })

  it('keeps any valid UTF-8 text cut to the limit as a prefix of it, within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(400), (text, limit) => {
        const bytes = Buffer.from(text, 'utf8')
        const cut = bytes.length > limit
        const kept = keptBodyText(cut ? bytes.subarray(0, limit) : bytes, cut)
        const expected = text.replaceAll('\u0000', '\uFFFD')
        expect(expected.startsWith(kept)).toBe(true)
        // Bytes as received: each NUL (1 byte) is kept as U+FFFD (3 bytes).
        const nuls = text.slice(0, kept.length).split('\u0000').length - 1
        const receivedBytes = Buffer.byteLength(kept) - 2 * nuls
        expect(receivedBytes).toBeLessThanOrEqual(Math.max(limit, bytes.length))
        // At most one character (four bytes) is lost at the cut.
        if (cut) expect(receivedBytes).toBeGreaterThan(limit - 4)
        else expect(kept).toBe(expected)
      }),
    )
  })

  it('keeps arbitrary answer bytes from a real receiver as their decoded prefix', async () => {
    const receiver = await startReceiver((request, response) => {
      response.end(Buffer.from(request.headers['x-answer'] as string, 'base64'))
    })
    const sender = senderFor({ responseBodyLimit: 64 })
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const answer = Buffer.from(bytes)
        const outcome = await sender.send({
          url: receiver.url,
          headers: { 'x-answer': answer.toString('base64') },
          body: '',
        })
        const cut = answer.length > 64
        expect(outcome.error).toBeUndefined()
        expect(outcome.response?.bodyTruncated).toBe(cut)
        expect(outcome.response?.body).toBe(keptBodyText(answer.subarray(0, 64), cut))
      }),
      { numRuns: 40 },
    )
  })
})

describe('an attempt that gets no complete answer', () => {
  it('lasts 10 seconds at most unless told otherwise', () => {
    expect(senderFor().timeoutMs).toBe(10_000)
  })

  it('times out against a receiver that never answers', async () => {
    const receiver = await startReceiver(() => {
      // never answers
    })
    const outcome = await senderFor({ timeoutMs: 300 }).send(outgoing(receiver.url))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('timeout')
    expect(outcome.error?.message).toContain('300 ms')
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290)
    expect(outcome.durationMs).toBeLessThan(3_000)
  })

  it('times out while the host name is still resolving', async () => {
    const sender = senderFor({ timeoutMs: 300, resolve: () => new Promise(() => {}) })
    const outcome = await sender.send(outgoing('https://slow-dns.example/hook'))
    expect(outcome.error?.kind).toBe('timeout')
    expect(outcome.durationMs).toBeLessThan(3_000)
  })

  it('reports response headers past the size limit as a failure, without throwing', async () => {
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(200, { 'x-huge': 'h'.repeat(64 * 1024) }).end()
    })
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('other')
    expect(outcome.error?.message).toMatch(/header/i)
  })

  it('times out on a body that dribbles in, keeping the status, headers and what arrived', async () => {
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.write('partial ')
      const dribble = setInterval(() => response.write('.'), 20)
      response.on('close', () => clearInterval(dribble))
    })
    const outcome = await senderFor({ timeoutMs: 300 }).send(outgoing(receiver.url))
    expect(outcome.error?.kind).toBe('timeout')
    expect(outcome.error?.message).toContain('body was still arriving')
    expect(outcome.response?.statusCode).toBe(200)
    expect(outcome.response?.headers['content-type']).toBe('text/plain')
    expect(outcome.response?.body).toMatch(/^partial \.*$/)
    expect(outcome.response?.bodyTruncated).toBe(true)
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290)
    expect(outcome.durationMs).toBeLessThan(3_000)
  })

  it('reports a refused connection on a closed port', async () => {
    const receiver = await startReceiver(() => {})
    await receiver.close()
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('refused')
    expect(outcome.error?.message).toContain('ECONNREFUSED')
  })

  it('reports a reset when the receiver drops the connection before answering', async () => {
    const receiver = await startReceiver((request) => request.socket.destroy())
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('reset')
  })

  it('reports a reset mid-body, keeping what arrived', async () => {
    const receiver = await startReceiver((request, response) => {
      response.writeHead(200, { 'content-length': '1000' })
      response.write('half', () => request.socket.destroy())
    })
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.error?.kind).toBe('reset')
    expect(outcome.response).toMatchObject({ statusCode: 200, body: 'half', bodyTruncated: true })
  })

  it('reports a name that does not resolve as a DNS failure', async () => {
    const outcome = await senderFor().send(outgoing('https://no-such-receiver.invalid/hook'))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('dns')
    expect(outcome.error?.message).toContain('no-such-receiver.invalid')
  })

  it('reports a URL it cannot send to as another failure, without throwing', async () => {
    const outcome = await senderFor().send(outgoing('not a url'))
    expect(outcome.error?.kind).toBe('other')
  })

  it.each([
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'timeout'],
    [{ code: 'UND_ERR_BODY_TIMEOUT' }, 'timeout'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'timeout'],
    [new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), 'refused'],
    [{ code: 'UND_ERR_SOCKET' }, 'reset'],
    [{ code: 'EAI_AGAIN' }, 'dns'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'tls'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'tls'],
    [new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), 'reset'],
    [{ code: 'EHOSTUNREACH' }, 'other'],
  ])('classifies %o as %s', (error, kind) => {
    expect(attemptErrorKind(error)).toBe(kind)
  })
})

describe('addresses, checked where the socket connects (no allowed networks)', () => {
  const resolveTo =
    (...addresses: string[]): ResolveHost =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

  async function expectRefused(outcome: AttemptOutcome, address: string) {
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('address')
    expect(outcome.error?.message).toContain(address)
    expect(outcome.error?.message).toContain('FLEX_WEBHOOK_ALLOW_NETWORKS')
  }

  it.each([
    ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
    ['::1', '[::1]', '::1'],
    // WHATWG URL canonicalises the mapped address, and the refusal names it so.
    ['::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '::ffff:7f00:1'],
  ])('refuses the literal %s before any connection reaches the receiver', async (_name, host, named) => {
    const receiver = await startReceiver(() => {}, host.startsWith('[') ? '::' : '127.0.0.1')
    const outcome = await senderFor({ allowed: none }).send(outgoing(`https://${host}:${receiver.port}/hook`))
    await expectRefused(outcome, named)
    expect(outcome.error?.message).toContain('loopback')
    expect(receiver.connections).toBe(0)
  })

  it.each([
    ['10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['[fd00::1]', 'unique local'],
  ])('refuses %s (%s)', async (host, words) => {
    const outcome = await senderFor({ allowed: none }).send(outgoing(`https://${host}/hook`))
    await expectRefused(outcome, host.replace(/^\[|\]$/g, ''))
    expect(outcome.error?.message).toContain(words)
  })

  it('refuses a host name that resolves to loopback, before any connection reaches the receiver', async () => {
    const receiver = await startReceiver(() => {})
    const sender = senderFor({ allowed: none, resolve: resolveTo('127.0.0.1') })
    const outcome = await sender.send(outgoing(`https://receiver.example:${receiver.port}/hook`))
    await expectRefused(outcome, '127.0.0.1')
    expect(outcome.error?.message).toContain('receiver.example')
    expect(receiver.connections).toBe(0)
  })

  it('refuses localhost through the system resolver', async () => {
    const receiver = await startReceiver(() => {})
    const outcome = await senderFor({ allowed: none }).send(outgoing(`https://localhost:${receiver.port}/hook`))
    expect(outcome.error?.kind).toBe('address')
    expect(outcome.error?.message).toContain('loopback')
    expect(receiver.connections).toBe(0)
  })

  it('refuses plain http to a public address, which only https may reach', async () => {
    const literal = await senderFor({ allowed: loopback }).send(outgoing('http://93.184.216.34/hook'))
    expect(literal.error?.kind).toBe('address')
    expect(literal.error?.message).toContain('plain http')
    const named = await senderFor({ allowed: loopback, resolve: resolveTo('93.184.216.34') }).send(
      outgoing('http://public.example/hook'),
    )
    expect(named.error?.kind).toBe('address')
    expect(named.error?.message).toContain('93.184.216.34')
  })

  it('delivers to a name resolved into the allowed networks', async () => {
    const receiver = await startReceiver((_request, response) => response.end('ok'))
    const sender = senderFor({ allowed: loopback, resolve: resolveTo('127.0.0.1') })
    const outcome = await sender.send(outgoing(`http://receiver.example:${receiver.port}/hook`))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response?.body).toBe('ok')
  })

  it('hands the socket only the answers that pass, and refuses a name when none does', async () => {
    const lookup = guardedLookup(resolveTo('10.0.0.1', '127.0.0.1', '::1'), (address) =>
      address === '127.0.0.1' ? undefined : `${address} refused`,
    )
    const passed = await new Promise((resolve, reject) =>
      lookup('mixed.example', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
    )
    expect(passed).toEqual([{ address: '127.0.0.1', family: 4 }])
    const single = await new Promise((resolve, reject) =>
      lookup('mixed.example', {}, (error, address, family) => (error ? reject(error) : resolve([address, family]))),
    )
    expect(single).toEqual(['127.0.0.1', 4])
    const refusing = guardedLookup(resolveTo('10.0.0.1', '::1'), (address) => `${address} refused`)
    const error = await new Promise<Error | null>((resolve) => refusing('bad.example', { all: true }, resolve))
    expect(error?.message).toBe('bad.example resolves only to refused addresses: 10.0.0.1 refused; ::1 refused')
  })

  it('refuses any non-public IPv4 literal, also written as IPv4-mapped IPv6', async () => {
    const sender = senderFor({ allowed: none })
    const nonPublic = fc.oneof(
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
    )
    await fc.assert(
      fc.asyncProperty(nonPublic, fc.boolean(), fc.constantFrom('http', 'https'), async (parts, mapped, scheme) => {
        const ip = parts.join('.')
        const outcome = await sender.send(outgoing(`${scheme}://${mapped ? `[::ffff:${ip}]` : ip}:9/hook`))
        expect(outcome.error?.kind).toBe('address')
      }),
      { numRuns: 60 },
    )
  })
})

describe('https', () => {
  const execFileAsync = promisify(execFile)
  let dir: string
  let key: Buffer
  let cert: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flex-webhook-tls-'))
    await execFileAsync('/usr/bin/openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ])
    key = await readFile(join(dir, 'key.pem'))
    cert = await readFile(join(dir, 'cert.pem'), 'utf8')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function startTlsReceiver(): Promise<Receiver> {
    const server = createHttpsServer({ key, cert }, (request, response) => {
      request.resume()
      request.on('end', () => response.end(`tls ${request.method}`))
    })
    return listen(server, '127.0.0.1', 'https')
  }

  it('delivers over TLS to a receiver whose authority it was given as extra CA', async () => {
    const receiver = await startTlsReceiver()
    const outcome = await senderFor({ extraCa: [cert] }).send(outgoing(receiver.url))
    expect(outcome.error).toBeUndefined()
    expect(outcome.response).toMatchObject({ statusCode: 200, body: 'tls POST' })
  })

  it('reports a certificate it does not trust as a TLS failure', async () => {
    const receiver = await startTlsReceiver()
    const outcome = await senderFor().send(outgoing(receiver.url))
    expect(outcome.response).toBeUndefined()
    expect(outcome.error?.kind).toBe('tls')
  })

  it('reports a certificate for another name as a TLS failure', async () => {
    const receiver = await startTlsReceiver()
    const sender = senderFor({ extraCa: [cert], resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
    const outcome = await sender.send(outgoing(`https://receiver.example:${receiver.port}/hook`))
    expect(outcome.error?.kind).toBe('tls')
  })
})
