import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { type ConsoleClient, signIn } from '../support/console-client.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// GET /console/:brandId/ingestion through app.inject with a real session and a real PostgreSQL;
// the records are posted through the API, so the page shows what ingestion itself logged.

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string
let operatorKey: string
let brandA: ConsoleClient
const updatedAt = '2026-11-21T09:30:00Z'
/** Text as the page must show it: the characters that could open markup as numeric references. */
const escaped = (text: string) => text.replace(/["&'<=>]/g, (c) => `&#${c.charCodeAt(0)};`)
/** An href as the browser reads it. */
const unescaped = (href: string) => href.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))

async function post(brand: string, key: string, type: string, records: unknown[]): Promise<void> {
  const answer = await app.inject({
    method: 'POST',
    url: `/v1/${brand}/${type}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(records),
  })
  expect(answer.statusCode, answer.body).toBeLessThan(500)
}

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  operatorKey = (await createApiKey(db, { operator: true })).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  await app.ready()
  await post('brand-a', keyA, 'customers', [
    { id: 'C-1', updated_at: updatedAt },
    { id: '<script>alert(1)</script>', updated_at: updatedAt },
    { id: 'C-3', email: 'nope', '<img src=x onerror=alert(2)>': 1, updated_at: updatedAt },
  ])
  await post('brand-a', keyA, 'transactions', [
    {
      id: 'T-1',
      customer_id: 'C-9',
      occurred_at: updatedAt,
      status: 'completed',
      currency: 'EUR',
      total_amount: '1.00',
      items: [],
      updated_at: updatedAt,
    },
  ])
  await post('brand-b', keyB, 'groups', [{ id: 'SECRET-B', updated_at: updatedAt }])
  brandA = await signIn(app, keyA)
})

afterAll(async () => {
  await app?.close()
})

describe('the console ingestion page', () => {
  it('shows the counts by entity type and outcome, the waiting references and the rejections with field and rule', async () => {
    const page = await brandA.get('/console/brand-a/ingestion')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h1>Ingestion of brand-a</h1>')
    const counts = /<table class="ingestion-counts">[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? ''
    expect(counts).toContain('<th scope="col">Entity type</th>')
    const customersRow = /<th scope="row">customers<\/th>([\s\S]*?)<\/tr>/.exec(counts)?.[1] ?? ''
    expect([...customersRow.matchAll(/<td class="number[^"]*">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual([
      '1', // created
      '0',
      '0',
      '0',
      '2', // rejected
    ])
    const waiting = /<table class="waiting-references">[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? ''
    expect(waiting).toMatch(/<td>transactions<\/td>\s*<td>customers<\/td>\s*<td class="number">1<\/td>/)
    expect(page.body).toMatch(
      /<code>email<\/code> <span class="rule">\(rule: format\)<\/span> must be an email address/,
    )
    expect(page.body).toMatch(/<code>id<\/code> <span class="rule">\(rule: format\)<\/span> use 1-128 letters/)
    expect(page.body).toContain('<label for="rejections-entity">Entity type</label>')
    expect(page.body).not.toContain('SECRET-B')
  })

  it("sums the last 24 hours on the brand's overview and links to the ingestion page", async () => {
    const page = await brandA.get('/console/brand-a')
    expect(page.status).toBe(200)
    const section = /<section aria-labelledby="ingestion-heading">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? ''
    const text = section.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')
    // C-1 and T-1 created; the <script> id and C-3 rejected; T-1's customer C-9 waits.
    expect(text).toMatch(/2 records stored \(2 created, 0 updated\), 0 unchanged or stale, 2 rejected\./)
    expect(text).toMatch(/1 references waiting, the oldest for \d+ (s|min)\./)
    expect(section).toContain('<a href="/console/brand-a/ingestion">')
  })

  it('escapes what rejected records sent: a record id <script> and a field named like a tag', async () => {
    const page = await brandA.get('/console/brand-a/ingestion')
    expect(page.body).not.toContain('<script>alert(1)')
    expect(page.body).toContain(`<code>${escaped('<script>alert(1)</script>')}</code>`)
    expect(page.body).not.toContain('<img src=x')
    expect(page.body).toContain(`<code>${escaped('<img src=x onerror=alert(2)>')}</code>`)
  })

  it('pages to older rejections with a link and filters by entity type with a GET form', async () => {
    await addBrand(database.current.handle.db, 'brand-p', 'UTC')
    const keyP = (await createApiKey(database.current.handle.db, 'brand-p')).key
    for (let i = 0; i < 25; i++)
      await post('brand-p', keyP, 'customers', [{ id: `R-${i}`, email: 'x', updated_at: updatedAt }])
    await post('brand-p', keyP, 'groups', [{ id: 'G-only', updated_at: updatedAt }])
    const client = await signIn(app, keyP)
    const rowIds = (body: string) => [...body.matchAll(/<td><code>([^<]+)<\/code><\/td>/g)].map((m) => m[1])

    const first = await client.get('/console/brand-p/ingestion')
    expect(rowIds(first.body)).toEqual(['G-only', ...Array.from({ length: 19 }, (_, i) => `R-${24 - i}`)])
    const older = /<a href="([^"]+)" rel="next">Older rejections<\/a>/.exec(first.body)?.[1]
    expect(unescaped(older ?? '')).toBe('/console/brand-p/ingestion?startId=7#rejections-heading')
    const second = await client.get(unescaped(older ?? '').replace(/#.*/, ''))
    expect(rowIds(second.body)).toEqual(['R-5', 'R-4', 'R-3', 'R-2', 'R-1', 'R-0'])
    expect(second.body).not.toContain('Older rejections')
    expect(second.body).toContain('Newest rejections')

    const groups = await client.get('/console/brand-p/ingestion?entity=groups')
    expect(rowIds(groups.body)).toEqual(['G-only'])
    expect(groups.body).toContain('<option value="groups" selected>groups</option>')
    const everything = await client.get('/console/brand-p/ingestion?entity=')
    expect(rowIds(everything.body)).toHaveLength(20)
  })

  it("keeps a brand key to its brand, shows an operator any brand's page, and names a bad query parameter", async () => {
    const other = await brandA.get('/console/brand-b/ingestion')
    expect(other.status).toBe(403)
    expect(other.body).not.toContain('SECRET-B')
    const operator = await signIn(app, operatorKey)
    const b = await operator.get('/console/brand-b/ingestion')
    expect(b.status).toBe(200)
    expect(b.body).toContain('<code>SECRET-B</code>')
    const bad = await brandA.get('/console/brand-a/ingestion?entity=users&startId=0')
    expect(bad.status).toBe(422)
    expect(bad.body).toContain('entity: entity must be one of')
    expect(bad.body).toContain('startId: startId must be a rejection id')
  })

  it('never lets hostile ids or field names through unescaped', async () => {
    await addBrand(database.current.handle.db, 'brand-h', 'UTC')
    const keyH = (await createApiKey(database.current.handle.db, 'brand-h')).key
    const client = await signIn(app, keyH)
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom(...hostileCharacters, '<', '>', '&', '"', "'", '/', 'a'), maxLength: 12 }),
        async (text) => {
          const marker = `<b id="m${++n}">`
          await post('brand-h', keyH, 'customers', [
            { id: `${marker}${text}`, updated_at: updatedAt },
            { id: `H-${n}`, [`${marker}${text}`]: 1, updated_at: updatedAt },
          ])
          const page = await client.get('/console/brand-h/ingestion')
          expect(page.status).toBe(200)
          expect(page.body).not.toContain(marker)
          // Kept as PostgreSQL can store it: lone surrogates and NUL as U+FFFD.
          const kept = `${marker}${text}`.toWellFormed().replaceAll('\u0000', '\ufffd')
          expect(page.body).toContain(`<code>${escaped(kept)}</code>`)
        },
      ),
      { numRuns: Number(process.env.FLEX_PROPERTY_RUNS ?? 50) },
    )
  })
})
