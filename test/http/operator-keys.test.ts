import { Writable } from 'node:stream'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { down, up } from '../../migrations/0014_operator_api_keys.ts'
import { type CreatedApiKey, createApiKey, lookUpKey, revokeApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { apiErrorResponseSchema } from '../../src/http/response-schemas.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
let app: FastifyInstance
let operator: CreatedApiKey
let keyA: string
const auth = (key: string) => ({ authorization: `Bearer ${key}` })
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 100)

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  operator = await createApiKey(db, { operator: true })
  keyA = (await createApiKey(db, 'brand-a')).key
  app = buildApp({ database: database.current.handle })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

describe('operator API keys', () => {
  it('belong to no brand, and are looked up as an operator’s', async () => {
    expect(operator).toMatchObject({ brandId: null, operator: true, key: expect.stringMatching(/^flex_/) })
    expect(await lookUpKey(database.current.handle.db, operator.key)).toEqual({
      id: operator.id,
      brandId: null,
      operator: true,
      signingSecret: null,
    })
    expect(await lookUpKey(database.current.handle.db, keyA)).toMatchObject({ brandId: 'brand-a', operator: false })
  })

  it('read and write every brand, while a brand’s key still gets 403 on another brand', async () => {
    for (const brand of ['brand-a', 'brand-b']) {
      const posted = await app.inject({
        method: 'POST',
        url: `/v1/${brand}/customers`,
        headers: auth(operator.key),
        payload: [{ id: `C-${brand}`, email: 'op@example.com', updated_at: '2026-11-21T09:30:00Z' }],
      })
      expect(posted.statusCode, `${brand}: ${posted.body}`).toBe(200)
      expect(posted.json().summary).toMatchObject({ created: 1 })
      const read = await app.inject({
        method: 'GET',
        url: `/v1/${brand}/customers/C-${brand}`,
        headers: auth(operator.key),
      })
      expect(read.statusCode, read.body).toBe(200)
      const waiting = await app.inject({
        method: 'GET',
        url: `/v1/${brand}/waiting-references`,
        headers: auth(operator.key),
      })
      expect(waiting.statusCode, waiting.body).toBe(200)
    }
    const own = await app.inject({ method: 'GET', url: '/v1/brand-a/customers/C-brand-a', headers: auth(keyA) })
    expect(own.statusCode).toBe(200)
    const other = await app.inject({ method: 'GET', url: '/v1/brand-b/customers/C-brand-b', headers: auth(keyA) })
    expect(other.statusCode).toBe(403)
    expect(other.json()).toMatchObject({ message: 'FORBIDDEN', description: expect.stringMatching(/brand-b/) })
  })

  it('answer 404 for a brand that does not exist, and a brand’s key 403 as before', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/v1/brand-z/waiting-references',
      headers: auth(operator.key),
    })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({
      message: 'NOT FOUND',
      description: expect.stringMatching(/no brand "brand-z"/),
    })
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/brand-z/customers',
      headers: auth(operator.key),
      payload: [{ id: 'C-1', updated_at: '2026-11-21T09:30:00Z' }],
    })
    expect(posted.statusCode).toBe(404)
    const withBrandKey = await app.inject({ method: 'GET', url: '/v1/brand-z/waiting-references', headers: auth(keyA) })
    expect(withBrandKey.statusCode).toBe(403)
  })

  it('answer any brand segment with 4xx in the error shape, never 5xx', async () => {
    const hostileSegment = fc
      .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 6, unit: 'binary' })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => parts.join(''))
    await fc.assert(
      fc.asyncProperty(
        hostileSegment,
        fc.constantFrom('webhooks', 'customers/C-1', 'exports/days'),
        async (brand, rest) => {
          let segment: string
          try {
            segment = encodeURIComponent(brand)
          } catch {
            // A lone surrogate cannot be percent-encoded as UTF-8: send its raw escape as a client might.
            segment = escape(brand)
          }
          const answer = await app.inject({ method: 'GET', url: `/v1/${segment}/${rest}`, headers: auth(operator.key) })
          expect([400, 404, 414], `${segment}: ${answer.body}`).toContain(answer.statusCode)
          expect(apiErrorResponseSchema.safeParse(answer.json()).success, answer.body).toBe(true)
        },
      ),
      { numRuns: runs },
    )
  })

  it('answer 401 once revoked', async () => {
    const { db } = database.current.handle
    const revoked = await createApiKey(db, { operator: true })
    const before = await app.inject({
      method: 'GET',
      url: '/v1/brand-b/waiting-references',
      headers: auth(revoked.key),
    })
    expect(before.statusCode).toBe(200)
    expect(await revokeApiKey(db, revoked.id)).toBe(true)
    const after = await app.inject({ method: 'GET', url: '/v1/brand-b/waiting-references', headers: auth(revoked.key) })
    expect(after.statusCode).toBe(401)
    expect(after.json()).toMatchObject({ message: 'UNAUTHORIZED', status: 401 })
  })

  it('are named in the logs by id and as an operator’s, never by the key', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logged = buildApp({ database: database.current.handle, log: pino({ level: 'info' }, sink) })
    try {
      const created = await logged.inject({
        method: 'POST',
        url: '/v1/brand-b/webhooks',
        headers: auth(operator.key),
        payload: { endpoint: 'https://example.com/operator', events: ['RECEIPTS'] },
      })
      expect(created.statusCode, created.body).toBe(201)
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      const createdRecord = records.find((r) => r.msg === 'webhook created')
      expect(createdRecord).toMatchObject({ brandId: 'brand-b', apiKeyId: operator.id, operator: true })
      expect(records.find((r) => r.msg === 'request completed')).toMatchObject({
        apiKeyId: operator.id,
        operator: true,
      })
      const byBrandKey = await logged.inject({
        method: 'GET',
        url: '/v1/brand-a/waiting-references',
        headers: auth(keyA),
      })
      expect(byBrandKey.statusCode).toBe(200)
      const last = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>
      expect(last).toMatchObject({ msg: 'request completed', apiKeyId: expect.any(String) })
      expect(last).not.toHaveProperty('operator')
      const log = lines.join('')
      for (const hidden of [operator.key, keyA]) expect(log).not.toContain(hidden)
    } finally {
      await logged.close()
    }
  })
})

describe('migration 0014', () => {
  it('allows exactly one of a brand and the operator flag on a key', async () => {
    const { db } = database.current.handle
    for (const values of [
      { brand_id: 'brand-a', operator: true },
      { brand_id: null, operator: false },
    ]) {
      await expect(
        db
          .insertInto('api_keys')
          .values({ id: crypto.randomUUID(), key_hash: crypto.randomUUID(), signing_secret: null, ...values })
          .execute(),
        JSON.stringify(values),
      ).rejects.toThrow(/api_keys_scope_check/)
    }
  })

  it('goes down (dropping operator keys, keeping brands’ keys) and up again', async () => {
    const { db } = database.current.handle
    const doomed = await createApiKey(db, { operator: true })
    await down(db)
    const columns = await sql<{ column_name: string; is_nullable: string }>`
      select column_name, is_nullable from information_schema.columns
      where table_name = 'api_keys' and table_schema = current_schema()`.execute(db)
    expect(columns.rows.find((c) => c.column_name === 'operator')).toBeUndefined()
    expect(columns.rows.find((c) => c.column_name === 'brand_id')?.is_nullable).toBe('NO')
    const left = await sql<{ id: string }>`select id from api_keys`.execute(db)
    expect(left.rows.map((r) => r.id)).not.toContain(doomed.id)
    expect(left.rows.length).toBeGreaterThan(0)
    await up(db)
    expect(await lookUpKey(db, keyA)).toMatchObject({ brandId: 'brand-a', operator: false })
    const again = await createApiKey(db, { operator: true })
    expect(await lookUpKey(db, again.key)).toMatchObject({ brandId: null, operator: true })
  })
})
