import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { apiErrorResponseSchema, webhookEventsPage } from '../../src/http/response-schemas.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The events endpoints of a webhook with hostile query strings and event ids: any parameter names
// and values (repeated, empty, lone surrogates, NUL, numbers out of range, dates that are not), any
// path segment as the event id. Whatever the input: no 5xx, and an answer in the documented shape
// (a page, or an APIErrorResponse that names what is wrong).

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 200)
let app: FastifyInstance
let key: string
let webhookId: string

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-q', 'UTC')
  key = (await createApiKey(db, 'brand-q')).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  await app.ready()
  const created = await app.inject({
    method: 'POST',
    url: '/v1/brand-q/webhooks',
    headers: { authorization: `Bearer ${key}` },
    payload: { endpoint: 'https://example.com/q', events: ['RECEIPTS'] },
  })
  webhookId = (created.json() as { id: string }).id
})

afterAll(async () => {
  await app?.close()
})

const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 6, unit: 'binary' })), {
    maxLength: 4,
  })
  .map((parts) => parts.join(''))

const value = fc.oneof(
  fc.constantFrom('0', '1', '20', '100', '101', '-1', '1e2', '0x10', ' 5', '99999999999999999999', ''),
  fc.constantFrom('2026-11-30T09:00:00Z', '2026-02-30T09:00:00Z', '2026-11-30T25:00:00Z', '2026-11-30', 'now'),
  fc.constantFrom('0193a5b2-0000-7000-8000-000000000001', '0193A5B2-0000-7000-8000-00000000000G'),
  hostileText,
)
const name = fc.oneof(
  fc.constantFrom('size', 'start', 'end', 'startId', 'page', 'constructor', '__proto__'),
  hostileText,
)
const query = fc.array(fc.tuple(name, value), { maxLength: 5 })

const encode = (text: string) => {
  try {
    return encodeURIComponent(text)
  } catch {
    // A lone surrogate cannot be percent-encoded as UTF-8: send its raw escape as a client might.
    return escape(text)
  }
}

describe('hostile queries and event ids on the events endpoints', () => {
  it('never answer 5xx, and always in the documented shape', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (pairs) => {
        const search = pairs.map(([n, v]) => `${encode(n)}=${encode(v)}`).join('&')
        const answer = await app.inject({
          method: 'GET',
          url: `/v1/brand-q/webhooks/${webhookId}/events?${search}`,
          headers: { authorization: `Bearer ${key}` },
        })
        expect([200, 400, 422], `${search}: ${answer.body}`).toContain(answer.statusCode)
        const schema = answer.statusCode === 200 ? webhookEventsPage : apiErrorResponseSchema
        expect(schema.safeParse(answer.json()).success, answer.body).toBe(true)
      }),
      { numRuns: runs },
    )
  })

  it('answer an event id of any text with 404, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileText, fc.uuid()), fc.boolean(), async (eventId, retry) => {
        const segment = encode(eventId) || 'x'
        const answer = await app.inject({
          method: retry ? 'POST' : 'GET',
          url: `/v1/brand-q/webhooks/${webhookId}/events/${segment}${retry ? '/retry' : ''}`,
          headers: { authorization: `Bearer ${key}` },
        })
        expect([400, 404, 414], `${segment}: ${answer.body}`).toContain(answer.statusCode)
        expect(apiErrorResponseSchema.safeParse(answer.json()).success, answer.body).toBe(true)
      }),
      { numRuns: runs },
    )
  })
})
