// The webhook benchmark's receiver, a child process of bench/webhooks.ts (started with fork, so
// it talks over the IPC channel): one plain node:http server per loopback address 127.0.0.1 …
// 127.0.0.N, each on a port of its own, so each webhook of the benchmark is an origin of its own,
// as real endpoints are. It answers 200 with an empty body as soon as a request's headers arrive;
// a path under /hang/ is never answered (the worker's timeout ends it). It records each request's
// arrival time (epoch ms, sub-millisecond), its webhook-id header and its path in memory and
// sends them only when asked, so recording costs no I/O while the benchmark runs.
//
//   node bench/webhook-receiver.ts --listeners N
//
// Messages in:  {type: 'count'} -> {type: 'count', requests, byPath: {path: n}}
//               {type: 'report'} -> {type: 'report', at: number[], ids: string[], paths: string[]}
//               {type: 'release'} ends the hanging requests (their sockets are destroyed)
//               {type: 'reset'} releases and forgets everything recorded -> {type: 'reset'}
// Message out at start: {type: 'ready', urls: ['http://127.0.0.1:PORT', …]}

import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'

export type ReceiverRequest = { type: 'count' } | { type: 'report' } | { type: 'release' } | { type: 'reset' }

export type ReceiverMessage =
  | { type: 'ready'; urls: string[] }
  | { type: 'count'; requests: number; byPath: Record<string, number> }
  | { type: 'report'; at: number[]; ids: string[]; paths: string[] }
  | { type: 'reset' }

const { values } = parseArgs({ options: { listeners: { type: 'string', default: '10' } } })
const listeners = Number(values.listeners)
if (!Number.isInteger(listeners) || listeners < 1 || listeners > 254)
  throw new Error(`--listeners must be an integer from 1 to 254, got ${values.listeners}`)
if (!process.send) throw new Error('start the receiver with child_process.fork: it reports over the IPC channel')
const send = (message: ReceiverMessage) => process.send?.(message)

let at: number[] = []
let ids: string[] = []
let paths: string[] = []
let byPath = new Map<string, number>()
const hanging = new Set<ServerResponse>()

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? ''
  at.push(performance.timeOrigin + performance.now())
  ids.push(String(req.headers['webhook-id'] ?? ''))
  paths.push(path)
  byPath.set(path, (byPath.get(path) ?? 0) + 1)
  if (path.startsWith('/hang/')) {
    hanging.add(res)
    res.once('close', () => hanging.delete(res))
    return
  }
  // The request body is left unread: node:http discards it before the next request on the connection.
  res.writeHead(200, { 'content-length': '0' }).end()
}

function release(): void {
  for (const res of hanging) res.socket?.destroy()
  hanging.clear()
}

const servers: Server[] = []
for (let i = 1; i <= listeners; i++) {
  const server = createServer({ keepAliveTimeout: 30_000 }, handle)
  server.listen(0, `127.0.0.${i}`)
  await once(server, 'listening')
  servers.push(server)
}

process.on('message', (message: ReceiverRequest) => {
  switch (message.type) {
    case 'count':
      send({ type: 'count', requests: at.length, byPath: Object.fromEntries(byPath) })
      break
    case 'report':
      send({ type: 'report', at, ids, paths })
      break
    case 'release':
      release()
      break
    case 'reset':
      release()
      at = []
      ids = []
      paths = []
      byPath = new Map()
      send({ type: 'reset' })
      break
  }
})
// The parent going away ends the receiver.
process.on('disconnect', () => {
  release()
  for (const server of servers) server.close()
  for (const server of servers) server.closeAllConnections()
})

send({
  type: 'ready',
  urls: servers.map((server) => {
    const { address, port } = server.address() as AddressInfo
    return `http://${address}:${port}`
  }),
})
