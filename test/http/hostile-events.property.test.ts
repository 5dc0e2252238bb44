import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { apiErrorResponseSchema, publishResponse } from '../../src/http/response-schemas.ts'
import { contentHash } from '../../src/ingest/content-hash.ts'
import { eventCatalogue } from '../../src/webhooks/event-catalogue.ts'
import { publishedEventEntityType } from '../../src/webhooks/publish-event.ts'
import { readPublishedEvents } from '../../src/webhooks/published-event-reader.ts'
import { addBrand } from '../support/fixtures.ts'
import {
  hostileCharacters,
  hostileNumbers,
  mutationOf,
  prototypeKeys,
  RawNumber,
  toJsonText,
} from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Requests to POST /v1/{brandId}/events built from hostile parts: ids and types of any text (lone
// surrogates, NUL, controls, 4-byte characters) or no text at all, data that is a catalogue example
// with one hostile change or an arbitrary JSON tree (hostile keys and strings, numbers JSON cannot
// keep, deep nesting), ids repeated within and across requests. Whatever the input: no 5xx, an
// answer in the documented shape, and every event answered `created` reads back as sent, with
// exactly one outbox event.

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 200)
let app: FastifyInstance
let key: string

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-p', 'UTC')
  key = (await createApiKey(db, 'brand-p')).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 4, unit: 'binary' })), {
    maxLength: 5,
  })
  .map((parts) => parts.join(''))

const validId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,11}$/)

/** Ids from a small pool, so that requests repeat them; sometimes no usable id at all. */
const eventId = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('E-1', 'E-2', 'e-1', 'E:3@x', 'E.4_y') },
  { weight: 4, arbitrary: validId },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 7, '', 'x'.repeat(129), ['E-1'], { id: 'E-1' }) },
)

const upstream = eventCatalogue.filter((e) => e.publishable)
const typeName = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...upstream.map((e) => e.type)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'CUSTOMER.CREATED',
      'EXPORTS.DAILY.COMPLETED',
      'ORDER_EVENTS',
      'ORDER_EVENTS.OMS',
      'CUSTOMER',
      'receipts',
      '',
    ),
  },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 1, true, ['RECEIPTS']) },
)

const hostileKey = fc.oneof(fc.constantFrom(...prototypeKeys), hostileText, fc.string({ maxLength: 8 }))

/** Any JSON value, with hostile keys, strings and numbers. */
const { tree } = fc.letrec<{ tree: unknown }>((self) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(hostileText, fc.string({ maxLength: 8 })),
    fc.constantFrom(...hostileNumbers).map((n) => new RawNumber(n)),
    fc.double(),
    fc.constantFrom(true, false, null),
    fc.array(self('tree'), { maxLength: 3 }),
    fc.array(fc.tuple(hostileKey, self('tree')), { maxLength: 3 }).map((entries) => objectOf(entries)),
  ),
}))

/** An object with exactly these own keys, `__proto__` included (as JSON.parse makes it). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  for (const [k, v] of entries) {
    Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  return object
}

const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : [nested(levels - 1)])

/**
 * Data for a type: mostly its example with hostile attributes (free, so they reach the storage
 * rules) or one hostile change, sometimes the example as is, anything, or data nested too deep.
 */
const dataFor = (type: unknown) => {
  const example = upstream.find((e) => e.type === type)?.example as Record<string, unknown> | undefined
  const anything = fc.oneof(
    tree,
    fc.integer({ min: 28, max: 36 }).map((n) => ({ orderId: 'O', attributes: { n: nested(n) } })),
  )
  if (example === undefined) return anything
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(fc.tuple(hostileKey, tree), { maxLength: 4 })
        .map((entries) => ({ ...example, attributes: objectOf(entries) })),
    },
    { weight: 2, arbitrary: mutationOf(example, ['attributes']).map((m) => m.apply(example)) },
    { weight: 2, arbitrary: fc.constant(example) },
    { weight: 1, arbitrary: anything },
  )
}

const event = fc.tuple(eventId, typeName).chain(([id, type]) =>
  dataFor(type).map((data) =>
    objectOf(
      [
        ['id', id as string],
        ['type', type as string],
        ['data', data],
      ].filter(([, v]) => v !== undefined) as [string, unknown][],
    ),
  ),
)

const request = fc.record({
  events: fc.array(event, { minLength: 1, maxLength: 4 }),
  /** Send it twice: the second answer must agree with the first. */
  twice: fc.boolean(),
})

let round = 0

describe('hostile events through POST /v1/{brandId}/events', () => {
  it('never answers 5xx, answers in the documented shapes, and stores each created event as sent with one outbox event', async () => {
    const { db } = database.current.handle
    await fc.assert(
      fc.asyncProperty(request, async ({ events, twice }) => {
        // A brand per run would cost a key each; a prefix per run keeps runs apart instead.
        const prefix = `r${++round}-`
        const sent = events.map((e) =>
          typeof e.id === 'string' && e.id !== '' ? objectOf(Object.entries({ ...e, id: `${prefix}${e.id}` })) : e,
        )
        const text = toJsonText({ events: sent })
        const post = () =>
          app.inject({
            method: 'POST',
            url: '/v1/brand-p/events',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            payload: text,
          })
        const first = await post()
        expect(first.statusCode, `${text}\n${first.body}`).toBeLessThan(500)
        expect([202, 409, 413, 422], first.body).toContain(first.statusCode)
        if (first.statusCode !== 202) {
          const error = apiErrorResponseSchema.parse(first.json())
          if (first.statusCode !== 413)
            expect(Object.keys(error.validations ?? {}).length, first.body).toBeGreaterThan(0)
          for (const message of Object.values(error.validations ?? {})) expect(message).not.toMatch(/^Invalid input/)
          return
        }
        const answer = publishResponse.parse(first.json())
        // What the publisher meant: the request as plain JSON (every accepted number is exact).
        const meant = (JSON.parse(text) as { events: { id: string; type: string; data: unknown }[] }).events
        const created = answer.results.filter((r) => r.outcome === 'created')
        const stored = await readPublishedEvents(
          db,
          'brand-p',
          created.map((r) => r.id),
        )
        for (const result of created) {
          const original = meant[result.index]
          const read = stored.get(result.id)
          expect(read?.type, text).toBe(original?.type)
          expect(contentHash(read?.data), `${text}\nread back ${JSON.stringify(read?.data)}`).toBe(
            contentHash(original?.data),
          )
        }
        const outbox = await db
          .selectFrom('outbox_events')
          .select('entity_id')
          .where('brand_id', '=', 'brand-p')
          .where('entity_type', '=', publishedEventEntityType)
          .where('entity_id', 'like', `${prefix}%`)
          .execute()
        expect(outbox.map((o) => o.entity_id).sort()).toEqual(created.map((r) => r.id).sort())
        if (twice) {
          const again = await post()
          expect(again.statusCode, again.body).toBe(202)
          expect(publishResponse.parse(again.json()).summary).toEqual({ created: 0, duplicate: events.length })
        }
      }),
      { numRuns: runs },
    )
  })
})
