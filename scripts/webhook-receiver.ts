// A webhook receiver for trying delivery on one machine (docs/webhooks.md, Quick start):
//
//   WEBHOOK_SECRET=whsec_... node scripts/webhook-receiver.ts [--port 4000] [--host 127.0.0.1]
//
// It prints one line `listening on http://HOST:PORT` once it accepts requests, then for each
// request its method and path, every header, the body as received, and whether the Standard
// Webhooks signature verifies with WEBHOOK_SECRET (checked by the official `standardwebhooks`
// library, as a receiver would). It answers 204 to a delivery that verifies (or to any, when no
// secret is given) and 401 to one that does not, so the platform retries it. It stops on SIGTERM
// or SIGINT.

import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { Webhook } from 'standardwebhooks'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4000' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`--port must be a port number (0 for any free one), got ${values.port}`)
}

const secret = process.env.WEBHOOK_SECRET === '' ? undefined : process.env.WEBHOOK_SECRET
const verifier = secret === undefined ? undefined : new Webhook(secret)

/** Whether the request's signature verifies: a sentence for the printout, and the status to answer. */
function check(body: Buffer, headers: Record<string, string>): { verdict: string; status: number } {
  if (verifier === undefined) {
    return { verdict: 'signature: not checked (start the receiver with WEBHOOK_SECRET=whsec_...)', status: 204 }
  }
  try {
    verifier.verify(body, headers)
    return { verdict: 'signature: verified', status: 204 }
  } catch (error) {
    return { verdict: `signature: NOT verified (${(error as Error).message})`, status: 401 }
  }
}

async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  // The body exactly as it arrived: a signature covers these bytes, not a re-serialized object.
  const body = Buffer.concat(chunks)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const { verdict, status } = check(body, headers)
  // A blank line first: what printed before (a curl answer without a newline) stays apart.
  const lines = [
    '',
    `${req.method} ${req.url}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    body.toString('utf8'),
    verdict,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  res.writeHead(status).end()
}

const server = createServer((req, res) => {
  receive(req, res).catch((error: unknown) => {
    process.stderr.write(`receiving ${req.method} ${req.url} failed: ${(error as Error).message}\n`)
    if (!res.headersSent) res.writeHead(500)
    res.end()
  })
})
server.listen(port, values.host)
await once(server, 'listening')
const address = server.address() as AddressInfo
const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
process.stdout.write(`listening on http://${shown}:${address.port}\n`)

const stop = () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
