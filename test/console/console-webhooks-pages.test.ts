import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { findWebhook, webhookSecret } from '../../src/webhooks/webhook-repository.ts'
import { type ConsoleClient, signIn } from '../support/console-client.ts'
import { addWebhook, deliveriesOf } from '../support/delivery-fixtures.ts'
import { seedDeliveries } from '../support/delivery-log-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// The console's webhook pages through app.inject with a real session and a real PostgreSQL:
// what each page shows, each POST action and where it redirects, the test send to a real
// receiver, escaping of what receivers and URLs can put on a page, and brand isolation.

const database = useTestDatabase()
let app: FastifyInstance
let receiver: Receiver
let client: ConsoleClient
let clientB: ConsoleClient
const hostile = '<script>alert("x")</script>'
/** A page's text with ghtml's character references read back (it escapes = and & in attributes too). */
const decoded = (body: string) => body.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  receiver = await startReceiver((_request, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'x-receiver': hostile }).end(`ok ${hostile}`)
  })
  app = buildApp({
    database: database.current.handle,
    rateLimit: { requests: 1_000_000, windowMs: 60_000 },
    webhookAllowNetworks: ['127.0.0.0/8'],
  })
  await app.ready()
  client = await signIn(app, (await createApiKey(db, 'brand-a')).key)
  clientB = await signIn(app, (await createApiKey(db, 'brand-b')).key)
})

afterAll(async () => {
  await app?.close()
  await receiver?.close()
})

let endpoints = 0
const newWebhook = async (brandId = 'brand-a', endpoint = `${receiver.url}/hook/${++endpoints}`) =>
  (await addWebhook(database.current.handle.db, brandId, endpoint, ['ORDER_EVENTS', 'RECEIPTS'])).id

describe('the webhook list', () => {
  it('shows each webhook with its types, status, 24 h success, backlog and last error, and the charts with a table', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const now = Date.now()
    await seedDeliveries(db, { id, brandId: 'brand-a' }, [
      { type: 'RECEIPTS', occurredAt: new Date(now - 3_600_000), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date(now - 3_000_000), state: 'failure', attempts: 2 },
    ])
    await db
      .updateTable('webhooks')
      .set({ enabled: false, disabled_reason: `gone ${hostile}` })
      .where('id', '=', id)
      .execute()
    const page = await client.get('/console/brand-a/webhooks')
    expect(page.status).toBe(200)
    expect(page.body).toContain(`href="/console/brand-a/webhooks/${id}"`)
    expect(page.body).toContain('<code>ORDER_EVENTS</code>')
    expect(page.body).toContain(
      '<span class="status status-disabled">disabled</span> by the platform: gone &#60;script&#62;',
    )
    expect(page.body).not.toContain(hostile)
    expect(page.body).toContain('50.0% (1 of 2 attempted)')
    expect(page.body).toContain('the endpoint answered HTTP 500')
    expect(page.body).toMatch(/<button type="submit" aria-label="Enable the webhook to [^"]+">Enable<\/button>/)
    expect(page.body).toContain('data-chart="brand-attempts"')
    expect(page.body).toMatch(/<script type="application\/json" id="brand-attempts">\{"x":\[/)
    expect(page.body).toContain('<summary>The figures as a table (per 10 minutes)</summary>')
  })

  it('turns a webhook off and on by a POST form with the CSRF token, back to the list with a notice', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const off = await client.post(`/console/brand-a/webhooks/${id}/enabled`, {
      enabled: 'false',
      returnTo: '/console/brand-a/webhooks',
    })
    expect(off.status).toBe(303)
    expect(off.location).toBe('/console/brand-a/webhooks?notice=disabled')
    expect((await findWebhook(db, 'brand-a', id))?.enabled).toBe(false)
    // A returnTo outside the brand's webhook pages is not followed.
    const on = await client.post(`/console/brand-a/webhooks/${id}/enabled`, {
      enabled: 'true',
      returnTo: '//evil.example/',
    })
    expect(on.location).toBe(`/console/brand-a/webhooks/${id}?notice=enabled`)
    expect((await findWebhook(db, 'brand-a', id))?.enabled).toBe(true)
    const forged = await client.post(`/console/brand-a/webhooks/${id}/enabled`, { enabled: 'false', _csrf: 'forged' })
    expect(forged.status).toBe(403)
    expect((await findWebhook(db, 'brand-a', id))?.enabled).toBe(true)
  })
})

describe('the brand overview', () => {
  it('shows each webhook’s 24 hours, backlog and status, linking to its page', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-o', 'UTC')
    const overviewClient = await signIn(app, (await createApiKey(db, 'brand-o')).key)
    expect((await overviewClient.get('/console/brand-o')).body).toContain('No webhooks.')
    const id = await newWebhook('brand-o')
    await seedDeliveries(db, { id, brandId: 'brand-o' }, [
      { type: 'RECEIPTS', occurredAt: new Date(Date.now() - 60_000), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date(Date.now() - 60_000), state: 'pending', attempts: 1 },
    ])
    const page = await overviewClient.get('/console/brand-o')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h2 id="webhooks-heading">Webhooks</h2>')
    expect(page.body).toContain(`href="/console/brand-o/webhooks/${id}"`)
    expect(page.body).toContain('50.0% (1 of 2 attempted)')
    expect(page.body).toMatch(/1 pending, the oldest for \d+ s/)
  })
})

describe('creating a webhook', () => {
  it('offers the event types as nested fieldsets, and creates the webhook with the ticked types', async () => {
    const form = await client.get('/console/brand-a/webhooks/new')
    expect(form.status).toBe(200)
    expect(form.body).toMatch(
      /<fieldset class="type-group">\s*<legend><input type="checkbox" id="event-type-ORDER_EVENTS"/,
    )
    expect(form.body).toContain('name="event:ORDER_EVENTS.OMS.ORDER_SHIPPED"')
    expect(form.body).toContain('<label for="endpoint">')
    const created = await client.post('/console/brand-a/webhooks', {
      endpoint: `${receiver.url}/created`,
      'event:ORDER_EVENTS.OMS': 'on',
      'event:RECEIPTS': 'on',
      enabled: 'on',
    })
    expect(created.status, created.body).toBe(303)
    const id = /\/webhooks\/([0-9a-f-]{36})\?notice=created$/.exec(created.location ?? '')?.[1] as string
    expect(await findWebhook(database.current.handle.db, 'brand-a', id)).toMatchObject({
      events: ['ORDER_EVENTS.OMS', 'RECEIPTS'],
      enabled: true,
    })
    const page = await client.get(created.location as string)
    expect(page.body).toContain('The webhook was created.')
  })

  it('shows the API’s reasons on the refilled form when the request breaks a rule, escaped', async () => {
    const refused = await client.post('/console/brand-a/webhooks', { endpoint: `https://x.example/"${hostile}` })
    expect(refused.status).toBe(422)
    expect(refused.body).toContain('events: events is required')
    expect(refused.body).not.toContain(hostile)
    expect(refused.body).toContain('value="https://x.example/&#34;&#60;script&#62;')
  })
})

describe('one webhook', () => {
  it('filters the delivery log by status and type, pages it by keyset, and escapes the filters it echoes', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const base = Date.parse('2026-11-29T00:00:00Z')
    const events = await seedDeliveries(
      db,
      { id, brandId: 'brand-a' },
      Array.from({ length: 25 }, (_, i) => ({
        type: i % 2 ? 'RECEIPTS' : 'ORDER_EVENTS.OMS.ORDER_SHIPPED',
        occurredAt: new Date(base + i * 60_000),
        state: i % 5 === 0 ? ('failure' as const) : ('success' as const),
      })),
    )
    const failed = await client.get(`/console/brand-a/webhooks/${id}?status=failure&type=ORDER_EVENTS`)
    const shown = [...failed.body.matchAll(/\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1])
    const expected = events.filter((_, i) => i % 5 === 0 && i % 2 === 0).map((e) => e.eventId)
    expect(shown).toEqual(expected.reverse())
    expect(failed.body).toContain('<option value="failure" selected>')

    const first = await client.get(`/console/brand-a/webhooks/${id}`)
    const older = /href="([^"]+startId=[^"#]+)#log-heading">Older events/.exec(decoded(first.body))?.[1]
    expect(older).toBeDefined()
    const second = await client.get(older as string)
    const firstIds = [...first.body.matchAll(/\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1])
    const secondIds = [...second.body.matchAll(/\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1])
    expect(firstIds).toHaveLength(20)
    expect(secondIds).toEqual(
      events
        .map((e) => e.eventId)
        .reverse()
        .slice(20),
    )

    const bad = await client.get(`/console/brand-a/webhooks/${id}?start=${encodeURIComponent(`"${hostile}`)}`)
    expect(bad.status).toBe(200)
    expect(bad.body).toContain('start: start must be a date-time')
    expect(bad.body).not.toContain(hostile)
  })

  it('reveals the secret and rotates it only by POST, answering the page with it', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const page = await client.get(`/console/brand-a/webhooks/${id}`)
    const secret = (await webhookSecret(db, 'brand-a', id)) as string
    expect(page.body).not.toContain(secret)
    expect(page.body).toContain('Reveal the signing secret')
    const revealed = await client.post(`/console/brand-a/webhooks/${id}/secret`)
    expect(revealed.status).toBe(200)
    expect(decoded(revealed.body)).toContain(`<code class="secret">${secret}</code>`)
    const rotated = await client.post(`/console/brand-a/webhooks/${id}/secret/rotate`)
    const next = (await webhookSecret(db, 'brand-a', id)) as string
    expect(next).not.toBe(secret)
    expect(decoded(rotated.body)).toContain(`<code class="secret">${next}</code>`)
    expect(rotated.body).toContain('The previous secret keeps signing beside it until')
  })

  it('sends a test event to a real receiver and shows the attempt, the receiver’s answer escaped', async () => {
    const id = await newWebhook()
    const before = receiver.requests.length
    const sent = await client.post(`/console/brand-a/webhooks/${id}/test`)
    expect(sent.status).toBe(303)
    expect(sent.location).toMatch(
      new RegExp(`^/console/brand-a/webhooks/${id}/events/[0-9a-f-]{36}\\?notice=test-sent$`),
    )
    expect(receiver.requests.length).toBe(before + 1)
    const attempt = await client.get(sent.location as string)
    expect(attempt.status).toBe(200)
    expect(attempt.body).toContain('A test event was sent; its attempt is below.')
    expect(attempt.body).toContain('Response: HTTP 200 in')
    expect(attempt.body).toContain('<code>webhook-signature</code>')
    expect(attempt.body).toContain('ok &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;')
    expect(attempt.body).not.toContain(hostile)
    expect(attempt.body).toContain('"type":"WEBHOOK.TEST"'.replaceAll('"', '&#34;'))
    expect(attempt.body).toContain('A test event is not sent again')
  })

  it('retries one failed delivery from its attempt page', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const [event] = await seedDeliveries(db, { id, brandId: 'brand-a' }, [
      { type: 'RECEIPTS', occurredAt: new Date(), state: 'failure', attempts: 10 },
    ])
    const eventId = event?.eventId as string
    const page = await client.get(`/console/brand-a/webhooks/${id}/events/${eventId}`)
    expect(page.body).toContain('Retry: send it once more now')
    expect(page.body).toContain('Response: HTTP 500')
    const retried = await client.post(`/console/brand-a/webhooks/${id}/events/${eventId}/retry`)
    expect(retried.location).toBe(`/console/brand-a/webhooks/${id}/events/${eventId}?notice=retry-queued`)
    expect((await deliveriesOf(db, id))[0]?.nextAttemptAt?.getTime()).toBeLessThanOrEqual(Date.now())
  })

  it('counts the failed deliveries of a range on a confirm page, then retries them', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    await seedDeliveries(db, { id, brandId: 'brand-a' }, [
      { type: 'RECEIPTS', occurredAt: new Date('2026-11-29T10:00:00Z'), state: 'failure' },
      { type: 'RECEIPTS', occurredAt: new Date('2026-11-29T10:30:00Z'), state: 'pending', attempts: 3 },
      { type: 'RECEIPTS', occurredAt: new Date('2026-11-29T10:40:00Z'), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date('2026-11-29T12:00:00Z'), state: 'failure' },
    ])
    const confirm = await client.get(
      `/console/brand-a/webhooks/${id}/failed-deliveries?start=2026-11-29T09:00&end=2026-11-29T11:00`,
    )
    expect(confirm.status).toBe(200)
    expect(confirm.body).toContain('<strong>2 failed deliveries</strong>')
    expect(confirm.body).toContain('<button type="submit">Retry 2 deliveries</button>')
    const retried = await client.post(`/console/brand-a/webhooks/${id}/failed-deliveries/retry`, {
      start: '2026-11-29T09:00',
      end: '2026-11-29T11:00',
    })
    expect(retried.location).toBe(`/console/brand-a/webhooks/${id}?notice=retried&count=2`)
    expect((await client.get(retried.location as string)).body).toContain('2 failed deliveries are due again now.')
    const reversed = await client.get(
      `/console/brand-a/webhooks/${id}/failed-deliveries?start=2026-11-29T11:00&end=2026-11-29T09:00`,
    )
    expect(reversed.status).toBe(422)
    expect(reversed.body).toContain('start must not be after end')
  })
})

describe('hostile query strings on the webhook page', () => {
  it('answer the page (200) with the filters’ problems, never a 5xx, and never echo markup (property)', async () => {
    const id = await newWebhook()
    const marker = '<x-hostile>'
    const value = fc.oneof(
      fc.constantFrom('', 'success', 'failure', 'ORDER_EVENTS', '2026-11-29T10:00', '2026-13-45T99:99', 'now'),
      fc.constantFrom(...hostileCharacters),
      fc.string({ maxLength: 8, unit: 'binary' }).map((text) => `${text}${marker}`),
      fc.uuid(),
    )
    const name = fc.constantFrom('status', 'type', 'start', 'end', 'startId', 'notice', 'count', 'other')
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 4 }), async (pairs) => {
        const search = pairs
          .map(([n, v]) => {
            let encoded: string
            try {
              encoded = encodeURIComponent(v)
            } catch {
              encoded = escape(v)
            }
            return `${n}=${encoded}`
          })
          .join('&')
        const page = await client.get(`/console/brand-a/webhooks/${id}?${search}`)
        expect([200, 400], `${search}: ${page.body.slice(0, 200)}`).toContain(page.status)
        expect(page.body).not.toContain(marker)
      }),
      { numRuns: Number(process.env.FLEX_PROPERTY_RUNS ?? 60) },
    )
  })
})

describe('brand isolation', () => {
  it('shows a brand’s webhook pages to no other brand’s session, whatever the URL', async () => {
    const id = await newWebhook('brand-a')
    expect((await clientB.get('/console/brand-a/webhooks')).status).toBe(403)
    expect((await clientB.get(`/console/brand-a/webhooks/${id}`)).status).toBe(403)
    const own = await clientB.get(`/console/brand-b/webhooks/${id}`)
    expect(own.status).toBe(404)
    expect((await clientB.post(`/console/brand-b/webhooks/${id}/test`)).status).toBe(404)
    expect((await clientB.post(`/console/brand-b/webhooks/${id}/secret`)).status).toBe(404)
    expect((await clientB.post(`/console/brand-b/webhooks/${id}/enabled`, { enabled: 'false' })).status).toBe(404)
    expect((await findWebhook(database.current.handle.db, 'brand-a', id))?.enabled).toBe(true)
  })
})
