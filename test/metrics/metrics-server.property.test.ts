import { request } from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MetricsServer, startMetricsServer } from '../../src/http/metrics-server.ts'
import { createPlatformMetrics } from '../../src/metrics/platform-metrics.ts'
import { readPlatformState } from '../../src/metrics/platform-state.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The metrics listener of flex deliver and flex schedule, on a real socket, against hostile
// requests: raw paths and Authorization headers. Only GET /metrics with the token answers the
// metrics; anything else is a 4xx in the APIErrorResponse shape, never a 5xx.

const database = useTestDatabase()
const runs = Math.min(100, Number(process.env.FLEX_PROPERTY_RUNS ?? 100))
const token = 'listener-token'
let server: MetricsServer

beforeAll(async () => {
  const metrics = createPlatformMetrics(() => readPlatformState(database.current.handle.db, { deadline: '04:00' }))
  server = await startMetricsServer({ metrics, token, port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await server?.close()
})

/** One request with the path sent as given (no URL normalisation), answering status and body. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The path as the router reads it (percent-decoded); undefined-safe for malformed escapes. */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 8 })), { maxLength: 4 })
  .map((parts) => parts.join(''))
// What Node lets a client put in a request line: visible ASCII without spaces, percent-encoded rest.
const path = fc.oneof(
  hostileText.map((text) => `/${encodeURIComponent(text.toWellFormed())}`),
  hostileText.map((text) => `/metrics/${encodeURIComponent(text.toWellFormed())}`),
  fc.constantFrom('/metrics?x=1', '/metrics/', '//metrics', '/METRICS', '/%6detrics', '/metrics%00', '/%'),
)
const authorization = fc
  .oneof(
    hostileText,
    hostileText.map((text) => `Bearer ${text}`),
    fc.constant(`Bearer ${token}`),
  )
  .filter((value) => !/[\r\n\0]/.test(value) && /^[\t\x20-\x7e\x80-\xff]*$/.test(value))

describe('the metrics listener with hostile requests', () => {
  it('answers the metrics only to GET /metrics with the token, and a 4xx in the APIErrorResponse shape otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE'),
        path,
        authorization,
        async (method, p, auth) => {
          const answer = await send(method, p, { authorization: auth })
          const isScrape =
            (method === 'GET' || method === 'HEAD') &&
            /^\/metrics(\?.*)?$/.test(decodedPath(p)) &&
            new RegExp(`^bearer +${token}$`, 'i').test(auth)
          if (isScrape) {
            expect(answer.status).toBe(200)
            return
          }
          expect(answer.status).toBeGreaterThanOrEqual(400)
          expect(answer.status).toBeLessThan(500)
          if (method !== 'HEAD') expect(JSON.parse(answer.body)).toMatchObject({ status: answer.status })
        },
      ),
      { numRuns: runs },
    )
  })
})
