import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
  at: Date
}

export type Answer = (request: ReceivedRequest, res: ServerResponse) => void | Promise<void>

/** Answers 200 with a small JSON body. */
export const answerOk: Answer = (_request, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}')
}

export interface ReceiverOptions {
  /** Serve https with this key and certificate (PEM) instead of plain http. */
  tls?: { key: string | Buffer; cert: string | Buffer }
}

/**
 * A real HTTP (or, with `tls`, HTTPS) receiver on 127.0.0.1 that records every request and answers
 * with `answer` (changeable while it runs), for tests of delivery over real sockets.
 */
export async function startReceiver(answer: Answer = answerOk, options: ReceiverOptions = {}) {
  const requests: ReceivedRequest[] = []
  const state = { answer }
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    const request = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: new Date(),
    }
    requests.push(request)
    await state.answer(request, res)
  }
  const server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    answer(next: Answer) {
      state.answer = next
    },
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close').catch(() => undefined)
    },
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>
