import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey, revokeApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { signIn } from '../support/console-client.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
let app: FastifyInstance
let operatorKey: string
let keyA: string
let clock = new Date('2026-11-30T10:00:00Z')
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 100)
const form = { 'content-type': 'application/x-www-form-urlencoded' }

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  operatorKey = (await createApiKey(db, { operator: true })).key
  keyA = (await createApiKey(db, 'brand-a')).key
  app = buildApp({ database: database.current.handle, now: () => clock, consoleSessionLifetimeMs: 60 * 60 * 1000 })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

describe('console sign-in', () => {
  it('shows a labelled sign-in form, and sends a visitor without a session there', async () => {
    const page = await app.inject({ method: 'GET', url: '/console/sign-in' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('<label for="api-key">API key</label>')
    expect(page.body).toContain('id="api-key" name="key" type="password"')
    for (const url of ['/console', '/console/brand-a']) {
      const answer = await app.inject({ method: 'GET', url })
      expect(answer.statusCode, url).toBe(303)
      expect(answer.headers.location).toBe('/console/sign-in')
    }
  })

  it('exchanges a key for an HttpOnly, SameSite=Strict session cookie, Secure behind https', async () => {
    const plain = await app.inject({ method: 'POST', url: '/console/sign-in', headers: form, payload: `key=${keyA}` })
    expect(plain.statusCode).toBe(303)
    expect(plain.headers.location).toBe('/console')
    const cookie = String(plain.headers['set-cookie'])
    expect(cookie).toMatch(/^flex_console=[A-Za-z0-9_-]{43};/)
    expect(cookie).toMatch(/; Path=\/console/)
    expect(cookie).toMatch(/; HttpOnly/)
    expect(cookie).toMatch(/; SameSite=Strict/)
    expect(cookie).not.toMatch(/; Secure/)
    const proxied = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { ...form, 'x-forwarded-proto': 'https' },
      payload: `key=${keyA}`,
    })
    expect(String(proxied.headers['set-cookie'])).toMatch(/; Secure/)
  })

  it('refuses unknown and revoked keys, keys that require signatures, and forms from other sites', async () => {
    const { db } = database.current.handle
    const revoked = await createApiKey(db, 'brand-a')
    await revokeApiKey(db, revoked.id)
    const signed = await createApiKey(db, 'brand-a', { requireSignature: true })
    for (const [key, words] of [
      ['flex_nope', 'unknown or revoked'],
      [revoked.key, 'unknown or revoked'],
      [signed.key, 'requires signed requests'],
      ['', 'unknown or revoked'],
    ] as const) {
      const answer = await app.inject({ method: 'POST', url: '/console/sign-in', headers: form, payload: `key=${key}` })
      expect(answer.statusCode).toBe(401)
      expect(answer.headers['set-cookie']).toBeUndefined()
      expect(answer.body).toContain(words)
    }
    const crossSite = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { ...form, origin: 'https://evil.example', host: 'console.example' },
      payload: `key=${keyA}`,
    })
    expect(crossSite.statusCode).toBe(403)
    expect(crossSite.headers['set-cookie']).toBeUndefined()
  })

  it('ends the session on sign-out (with the CSRF token only), after its lifetime, and when its key is revoked', async () => {
    const client = await signIn(app, keyA)
    expect((await client.get('/console/brand-a')).status).toBe(200)
    // Without the token, or with another session's, sign-out is refused and the session lives on.
    const other = await signIn(app, keyA)
    expect((await client.post('/console/sign-out', { _csrf: '' })).status).toBe(403)
    expect((await client.post('/console/sign-out', { _csrf: await other.csrfToken() })).status).toBe(403)
    expect((await client.get('/console/brand-a')).status).toBe(200)
    const out = await client.post('/console/sign-out')
    expect(out.status).toBe(303)
    expect(out.location).toBe('/console/sign-in')
    expect((await client.get('/console/brand-a')).location).toBe('/console/sign-in')

    // The lifetime is an hour here: a minute before it the session lives, at it the session is gone.
    const started = clock
    const aging = await signIn(app, keyA)
    clock = new Date(started.getTime() + 59 * 60 * 1000)
    expect((await aging.get('/console/brand-a')).status).toBe(200)
    clock = new Date(started.getTime() + 60 * 60 * 1000)
    expect((await aging.get('/console/brand-a')).location).toBe('/console/sign-in')
    clock = started

    const { db } = database.current.handle
    const doomed = await createApiKey(db, 'brand-a')
    const revokedClient = await signIn(app, doomed.key)
    expect((await revokedClient.get('/console/brand-a')).status).toBe(200)
    await revokeApiKey(db, doomed.id)
    expect((await revokedClient.get('/console/brand-a')).location).toBe('/console/sign-in')
  })
})

describe('console brands', () => {
  it('shows a brand key its own brand only, whatever the URL', async () => {
    const client = await signIn(app, keyA)
    const home = await client.get('/console')
    expect(home.status).toBe(303)
    expect(home.location).toBe('/console/brand-a')
    const own = await client.get('/console/brand-a')
    expect(own.status).toBe(200)
    expect(own.body).toContain('Overview of brand-a')
    expect(own.body).not.toContain('brand-b')
    for (const url of ['/console/brand-b', '/console/brand?brand=brand-b']) {
      const other = await client.get(url)
      expect(other.status, url).toBe(403)
      expect(other.body, url).not.toContain('Overview of brand-b')
    }
  })

  it('shows an operator every brand, with a labelled brand picker', async () => {
    const client = await signIn(app, operatorKey)
    const home = await client.get('/console')
    expect(home.status).toBe(200)
    expect(home.body).toContain('Overview of every brand')
    expect(home.body).toContain('href="/console/brand-a"')
    expect(home.body).toContain('href="/console/brand-b"')
    expect(home.body).toContain('<label for="brand-picker">Brand</label>')
    const picked = await client.get('/console/brand?brand=brand-b')
    expect(picked.location).toBe('/console/brand-b')
    expect((await client.get('/console/brand-b')).body).toContain('Overview of brand-b')
    expect((await client.get('/console/no-such-brand')).status).toBe(404)
  })

  it('answers any brand segment with a page, never a server error nor another brand', async () => {
    const client = await signIn(app, keyA)
    const operator = await signIn(app, operatorKey)
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom(...hostileCharacters, 'a', 'b', '-') }), async (segment) => {
        // Every byte percent-encoded, lone surrogates as the replacement character's UTF-8.
        const url = `/console/${[...Buffer.from(segment)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')}`
        for (const who of [client, operator]) {
          const page = await who.get(url)
          expect([200, 303, 403, 404], `${url}: ${page.body.slice(0, 200)}`).toContain(page.status)
          if (who === client && page.status === 200) expect(page.body).toContain('Overview of brand-a')
        }
      }),
      { numRuns: runs },
    )
  })

  it('serves its assets from the app itself, and forbids framing', async () => {
    for (const [name, type] of [
      ['console.css', 'text/css'],
      ['charts.js', 'text/javascript'],
      ['uplot.js', 'text/javascript'],
      ['uplot.css', 'text/css'],
    ]) {
      const asset = await app.inject({ method: 'GET', url: `/console/assets/${name}` })
      expect(asset.statusCode, name).toBe(200)
      expect(asset.headers['content-type']).toContain(type)
      expect(asset.body.length).toBeGreaterThan(100)
    }
    expect((await app.inject({ method: 'GET', url: '/console/assets/..%2Fpackage.json' })).statusCode).toBe(404)
    const page = await app.inject({ method: 'GET', url: '/console/sign-in' })
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })
})
