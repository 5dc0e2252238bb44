import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { openDatabase } from '../../src/db/connect.ts'
import { buildApp } from '../../src/http/app.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Every answer that is not a success has the APIErrorResponse shape, whoever produced it (a route,
// the router, a body parser, Node's HTTP parser), and a request without a valid key learns nothing
// about routes or bodies before it is told to authenticate.

const database = useTestDatabase()
let app: FastifyInstance
let key: string
const at = '2026-11-21T09:30:00+01:00'

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  key = (await createApiKey(db, 'brand-a')).key
  app = buildApp({ database: database.current.handle, bodyLimit: 64 * 1024 })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const auth = () => ({ authorization: `Bearer ${key}` })

function expectApiError(response: { statusCode: number; json(): unknown }, status: number) {
  expect(response.statusCode).toBe(status)
  const body = response.json() as Record<string, unknown>
  expect(body).toEqual({
    message: expect.any(String),
    description: expect.any(String),
    status,
    ...(body.validations === undefined ? {} : { validations: expect.any(Object) }),
  })
  expect(body.description).not.toBe('')
  return body as { message: string; description: string; status: number }
}

/** Sends raw bytes to a listening server and returns the raw answer. */
async function rawExchange(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  let answer = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    answer += chunk
  })
  socket.write(request)
  await new Promise((resolve) => socket.on('close', resolve))
  return answer
}

function jsonOf(rawAnswer: string): unknown {
  return JSON.parse(rawAnswer.slice(rawAnswer.indexOf('\r\n\r\n') + 4))
}

describe('ids up to the documented maximum', () => {
  it('reads back and deletes a customer whose id has 101 to 128 characters', async () => {
    for (const length of [101, 128]) {
      const id = `C${'x'.repeat(length - 2)}9`
      const posted = await app.inject({
        method: 'POST',
        url: '/v1/brand-a/customers',
        headers: auth(),
        payload: [{ id, email: 'long@example.com', updated_at: at }],
      })
      expect(posted.json().results).toEqual([{ index: 0, id, outcome: 'created' }])
      const got = await app.inject({ method: 'GET', url: `/v1/brand-a/customers/${id}`, headers: auth() })
      expect(got.statusCode, `GET an id of ${length} characters`).toBe(200)
      expect(got.json().entity).toMatchObject({ id })
      const deleted = await app.inject({ method: 'DELETE', url: `/v1/brand-a/customers/${id}`, headers: auth() })
      expect(deleted.json()).toEqual({ id, outcome: 'deleted' })
    }
  })

  it('answers an id longer than any id can be with 404 after authentication', async () => {
    const id = 'x'.repeat(129)
    expect((await app.inject({ method: 'GET', url: `/v1/brand-a/customers/${id}`, headers: auth() })).statusCode).toBe(
      404,
    )
    expectApiError(await app.inject({ method: 'GET', url: `/v1/brand-a/customers/${id}` }), 401)
  })

  it('answers a path segment longer than 1,024 characters with 414, after authentication', async () => {
    const url = `/v1/brand-a/customers/${'x'.repeat(1025)}`
    expectApiError(await app.inject({ method: 'GET', url }), 401)
    const tooLong = expectApiError(await app.inject({ method: 'GET', url, headers: auth() }), 414)
    expect(tooLong.description).toMatch(/1024|1,024/)
  })
})

describe('authentication first', () => {
  it('answers 401 before saying anything about the route or the body', async () => {
    const requests = [
      { what: 'unknown entity type', method: 'GET' as const, url: '/v1/brand-a/shoes/1' },
      { what: 'unknown route under /v1', method: 'GET' as const, url: '/v1/brand-a' },
      { what: 'unknown method', method: 'PUT' as const, url: '/v1/brand-a/customers/C-1' },
      {
        what: 'malformed JSON',
        method: 'POST' as const,
        url: '/v1/brand-a/customers',
        headers: { 'content-type': 'application/json' },
        payload: '[{"id": ',
      },
      {
        what: 'too large a body',
        method: 'POST' as const,
        url: '/v1/brand-a/customers',
        headers: { 'content-type': 'application/json' },
        payload: `["${'x'.repeat(70 * 1024)}"]`,
      },
      {
        what: 'unsupported content type',
        method: 'POST' as const,
        url: '/v1/brand-a/customers',
        headers: { 'content-type': 'text/csv' },
        payload: 'id\nC-1\n',
      },
      { what: 'malformed percent-encoding', method: 'GET' as const, url: '/v1/brand-a/customers/%E0%A4%A' },
    ]
    for (const { what, ...request } of requests) {
      const response = await app.inject(request)
      expect(response.statusCode, what).toBe(401)
      expectApiError(response, 401)
    }
  })
})

describe('every error in the APIErrorResponse shape', () => {
  it('answers router, parser and route errors with the shape and a description saying what to do', async () => {
    expectApiError(await app.inject({ method: 'GET', url: '/nowhere' }), 404)
    expectApiError(await app.inject({ method: 'POST', url: '/healthz' }), 404)
    expectApiError(await app.inject({ method: 'GET', url: '/v1/brand-a', headers: auth() }), 404)
    expectApiError(await app.inject({ method: 'PUT', url: '/v1/brand-a/customers/C-1', headers: auth() }), 404)
    const unknownType = expectApiError(
      await app.inject({ method: 'GET', url: '/v1/brand-a/shoes/1', headers: auth() }),
      404,
    )
    expect(unknownType.description).toMatch(/unknown entity type "shoes"/)
    const badUrl = expectApiError(
      await app.inject({ method: 'GET', url: '/v1/brand-a/customers/%E0%A4%A', headers: auth() }),
      400,
    )
    expect(badUrl.description).toMatch(/percent-encod/)
    const malformed = expectApiError(
      await app.inject({
        method: 'POST',
        url: '/v1/brand-a/customers',
        headers: { ...auth(), 'content-type': 'application/json' },
        payload: '[{"id": ',
      }),
      400,
    )
    expect(malformed.description).toMatch(/not valid JSON/)
    const tooLarge = expectApiError(
      await app.inject({
        method: 'POST',
        url: '/v1/brand-a/customers',
        headers: { ...auth(), 'content-type': 'application/json' },
        payload: `["${'x'.repeat(70 * 1024)}"]`,
      }),
      413,
    )
    expect(tooLarge.description).toMatch(/65536 bytes/)
  })

  it("answers Node's own HTTP parser errors with the shape too: a too long URL, a malformed request", async () => {
    const served = buildApp({ database: database.current.handle })
    await served.listen({ host: '127.0.0.1', port: 0 })
    try {
      const { port } = served.server.address() as { port: number }
      const longUrl = await rawExchange(
        port,
        `GET /v1/brand-a/customers/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      )
      expect(longUrl).toMatch(/^HTTP\/1.1 431 /)
      expect(jsonOf(longUrl)).toMatchObject({ message: 'REQUEST HEADER FIELDS TOO LARGE', status: 431 })
      const garbage = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n')
      expect(garbage).toMatch(/^HTTP\/1.1 400 /)
      expect(jsonOf(garbage)).toMatchObject({ message: 'BAD REQUEST', status: 400, description: expect.any(String) })
    } finally {
      await served.close()
    }
  })
})

describe('ids in the path', () => {
  it('answers 404 for an id no record can have (a %00 decodes to NUL), on GET and DELETE, without a 500', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const body = expectApiError(
        await app.inject({ method, url: '/v1/brand-a/customers/a%00b', headers: auth() }),
        404,
      )
      expect(body.description).toMatch(/ids are 1-128 of/)
    }
  })
})

describe('GET /healthz', () => {
  it('answers 503 in the APIErrorResponse shape while the database does not answer', async (context) => {
    if (database.current.kind === 'pglite') {
      return context.skip('needs a PostgreSQL server to take a database away from (set DATABASE_URL)')
    }
    const url = await database.current.createEmptyDatabase()
    const handle = await openDatabase({ url })
    const lonely = buildApp({ database: handle })
    try {
      expect((await lonely.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
      const admin = new pg.Client({ connectionString: database.current.url })
      await admin.connect()
      try {
        await admin.query(`drop database "${new URL(url).pathname.slice(1)}" with (force)`)
      } finally {
        await admin.end()
      }
      const down = expectApiError(await lonely.inject({ method: 'GET', url: '/healthz' }), 503)
      expect(down.description).toMatch(/database/)
    } finally {
      await lonely.close()
      await handle.close().catch(() => undefined)
    }
  })
})
