import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { flexDatabaseEnv, flexOutput, runFlex, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// `flex serve` as a user starts it: bin/flex.js in its own process, on a real port, stopped by a
// real signal. The brand and the key come from the CLI too (before the server starts, so the
// embedded PGlite, one process at a time, works the same way).

const database = useTestDatabase()
const at = '2026-11-21T09:30:00+01:00'

async function prepareBrand(env: Record<string, string>, brand: string): Promise<string> {
  await flexOutput(['migrate'], env)
  await flexOutput(['brands', 'add', brand, '--timezone', 'Europe/Berlin'], env)
  const created = JSON.parse(await flexOutput(['apikey', 'create', '--brand', brand, '--json'], env)) as {
    key: string
    brandId: string
  }
  expect(created).toMatchObject({ brandId: brand, key: expect.stringMatching(/^flex_/) })
  return created.key
}

describe('flex serve', () => {
  it('serves the ingestion API on $PORT until SIGTERM, then exits 0', async () => {
    const env = await flexDatabaseEnv(database.current)
    const key = await prepareBrand(env, 'served')
    const server = await startFlexServer({ env })
    try {
      const auth = { authorization: `Bearer ${key}` }
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' })

      const posted = await fetch(`${server.url}/v1/served/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify([{ id: 'C-1', email: 'zoe@example.com', updated_at: at }]),
      })
      expect(posted.status).toBe(200)
      expect(((await posted.json()) as { results: unknown }).results).toEqual([
        { index: 0, id: 'C-1', outcome: 'created' },
      ])

      const got = await fetch(`${server.url}/v1/served/customers/C-1`, { headers: auth })
      expect(got.status).toBe(200)
      expect(((await got.json()) as { entity: unknown }).entity).toMatchObject({ id: 'C-1', email: 'zoe@example.com' })

      const deleted = await fetch(`${server.url}/v1/served/customers/C-1`, { method: 'DELETE', headers: auth })
      expect(await deleted.json()).toEqual({ id: 'C-1', outcome: 'deleted' })

      const unauthorized = await fetch(`${server.url}/v1/served/customers/C-1`)
      expect(unauthorized.status).toBe(401)
      expect(await unauthorized.json()).toMatchObject({ message: 'UNAUTHORIZED', status: 401 })

      const malformed = await fetch(`${server.url}/v1/served/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '[{"id": ',
      })
      expect(malformed.status).toBe(400)
      expect(await malformed.json()).toMatchObject({ message: 'BAD REQUEST', status: 400 })
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0)
    }
    expect(server.stderr()).not.toMatch(/"level":50/)
  })

  it('exits 0 on SIGINT (Ctrl-C) too', async () => {
    const env = await flexDatabaseEnv(database.current)
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    const server = await startFlexServer({ env })
    expect(await server.stop('SIGINT')).toBe(0)
  })

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const env = await flexDatabaseEnv(database.current)
    const key = await prepareBrand(env, 'inflight')
    const server = await startFlexServer({ env })
    try {
      const body = JSON.stringify([{ id: 'C-9', email: 'late@example.com', updated_at: at }])
      const answer = new Promise<{ status: number; text: string; connection: string | undefined }>(
        (resolve, reject) => {
          const req = request(
            `${server.url}/v1/inflight/customers`,
            {
              method: 'POST',
              headers: {
                authorization: `Bearer ${key}`,
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
              },
            },
            (res) => {
              let text = ''
              res.setEncoding('utf8').on('data', (chunk: string) => {
                text += chunk
              })
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }))
            },
          )
          req.on('error', reject)
          // Half the body now, the rest once the server has begun to stop.
          req.write(body.slice(0, 10))
          server
            .waitFor('the server to begin stopping', () => server.stderr().includes('stopping'))
            .then(() => req.end(body.slice(10)), reject)
        },
      )
      await server.waitFor('the request to arrive', () => server.stderr().includes('"url":"/v1/inflight/customers"'))
      server.child.kill('SIGTERM')
      const { status, text, connection } = await answer
      expect(status, text).toBe(200)
      // so that the client's keep-alive connection does not hold the stopping server open
      expect(connection).toBe('close')
      expect(JSON.parse(text).results).toEqual([{ index: 0, id: 'C-9', outcome: 'created' }])
      expect(await server.exited).toBe(0)
    } finally {
      await server.stop('SIGKILL')
    }
  })

  it('exits 2 naming PORT when the port is taken', async () => {
    const env = await flexDatabaseEnv(database.current)
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    const first = await startFlexServer({ env })
    try {
      const port = new URL(first.url).port
      // (an embedded database of its own: PGlite is one process's)
      const second = await runFlex(['serve'], { ...(await flexDatabaseEnv(database.current)), PORT: port })
      expect(second.code, second.stderr).toBe(2)
      expect(second.stderr).toMatch(new RegExp(`port ${port} is in use.*PORT`))
    } finally {
      expect(await first.stop()).toBe(0)
    }
  })
})
