import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Records arrive as application/json or application/x-ndjson, in UTF-8; anything else is answered
// 415 naming what the API reads, never parsed as something it is not.

const database = useTestDatabase()
let app: FastifyInstance
let key: string
const record = { id: 'C-1', email: 'zoe@example.com', updated_at: '2026-11-21T09:30:00+01:00' }

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  key = (await createApiKey(db, 'brand-a')).key
  app = buildApp({ database: database.current.handle })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

function post(contentType: string | undefined, payload: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/brand-a/customers',
    headers: {
      authorization: `Bearer ${key}`,
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    payload,
  })
}

describe('content types of a POST', () => {
  it('reads application/json and application/x-ndjson, with or without charset=utf-8', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON; charset=UTF-8']) {
      const response = await post(type, JSON.stringify([record]))
      expect(response.statusCode, type).toBe(200)
    }
    for (const type of ['application/x-ndjson', 'application/x-ndjson; charset=utf-8', 'application/jsonl']) {
      const response = await post(type, `${JSON.stringify(record)}\n`)
      expect(response.statusCode, type).toBe(200)
    }
  })

  it('answers 415 naming the accepted types for form encoding, text, CSV, another charset or none', async () => {
    const cases: [string | undefined, RegExp | undefined][] = [
      ['application/x-www-form-urlencoded', /curl -d/],
      ['text/plain', undefined],
      ['text/csv', undefined],
      ['application/json; charset=iso-8859-1', /UTF-8/],
      [undefined, /no Content-Type/],
    ]
    for (const [type, hint] of cases) {
      const response = await post(type, JSON.stringify([record]))
      expect(response.statusCode, String(type)).toBe(415)
      const body = response.json()
      expect(body).toMatchObject({ message: 'UNSUPPORTED MEDIA TYPE', status: 415 })
      expect(body.description, String(type)).toMatch(/application\/json.*application\/x-ndjson/)
      if (hint) expect(body.description, String(type)).toMatch(hint)
    }
  })
})

describe('a POST without a body', () => {
  it('answers 415 without a Content-Type, 400 for empty JSON, and no records for empty NDJSON', async () => {
    const none = await post(undefined, '')
    expect(none.statusCode).toBe(415)
    expect(none.json().description).toMatch(/no Content-Type/)
    const json = await post('application/json', '')
    expect(json.statusCode).toBe(400)
    expect(json.json().description).toMatch(/not valid JSON/)
    const ndjson = await post('application/x-ndjson', '')
    expect(ndjson.statusCode).toBe(200)
    expect(ndjson.json()).toEqual({
      summary: { created: 0, updated: 0, unchanged: 0, stale: 0, rejected: 0 },
      results: [],
    })
  })
})
