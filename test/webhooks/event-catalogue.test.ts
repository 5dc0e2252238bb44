import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { entityResponse } from '../../src/http/response-schemas.ts'
import { entities } from '../../src/ingest/entities/index.ts'
import type { EntityType } from '../../src/ingest/entity-types.ts'
import {
  eventCatalogue,
  eventType,
  publishableEventTypes,
  publishProblem,
  subscriptionCovers,
  subscriptionProblem,
} from '../../src/webhooks/event-catalogue.ts'
import { eventEnvelope } from '../../src/webhooks/event-envelope.ts'

describe('the event catalogue', () => {
  it("holds seed 002's types, every ingestion change event and the export-completed event, once each", () => {
    const types = eventCatalogue.map((e) => e.type)
    expect(new Set(types).size).toBe(types.length)
    expect(types).toEqual(
      expect.arrayContaining([
        'ORDER_EVENTS.OMS.ORDER_SHIPPED',
        'RECEIPTS',
        'NOTIFICATION.SMS.RECEIPT',
        'CUSTOMER.CREATED',
        'CUSTOMER.DELETED',
        'TRANSACTION.UPDATED',
        'CUSTOMER_EVENT.CREATED',
        'EXPORTS.DAILY.COMPLETED',
      ]),
    )
    expect(types).not.toContain('PRODUCT.DELETED')
  })

  it('lets a subscription to a prefix cover every type below it, and nothing beside it', () => {
    expect(subscriptionCovers('ORDER_EVENTS', 'ORDER_EVENTS.OMS.ORDER_SHIPPED')).toBe(true)
    expect(subscriptionCovers('ORDER_EVENTS.OMS', 'ORDER_EVENTS.OMS.ORDER_SHIPPED')).toBe(true)
    expect(subscriptionCovers('ORDER_EVENTS.OMS', 'ORDER_EVENTS.TRACKING.UNKNOWN')).toBe(false)
    expect(subscriptionCovers('CUSTOMER', 'CUSTOMER_EVENT.CREATED')).toBe(false)
    expect(subscriptionCovers('RECEIPTS', 'RECEIPTS')).toBe(true)
  })

  it('accepts types and prefixes of types, and names a subscription that matches none', () => {
    expect(subscriptionProblem('ORDER_EVENTS')).toBeUndefined()
    expect(subscriptionProblem('CUSTOMER.CREATED')).toBeUndefined()
    expect(subscriptionProblem('ORDER_EVENTS.OMS.ORDER')).toMatch(/unknown event type "ORDER_EVENTS.OMS.ORDER"/)
    expect(subscriptionProblem('')).toMatch(/unknown event type/)
  })

  it('describes every type, names its source, and gives an example that its own data schema accepts', () => {
    for (const entry of eventCatalogue) {
      expect(entry.description.length, entry.type).toBeGreaterThan(20)
      expect(['upstream', 'ingestion', 'exports']).toContain(entry.source)
      const parsed = entry.data.safeParse(entry.example)
      expect(parsed.error, entry.type).toBeUndefined()
    }
  })

  it('gives each ingestion change event an example exactly as GET /v1/{brandId}/{entity}/{id} answers it', () => {
    for (const [type, definition] of Object.entries(entities) as [EntityType, (typeof entities)[EntityType]][]) {
      for (const change of ['CREATED', 'UPDATED']) {
        const entry = eventType(`${definition.eventPrefix}.${change}`)
        const parsed = entityResponse(type).safeParse(entry?.example)
        expect(parsed.error, `${definition.eventPrefix}.${change}`).toBeUndefined()
      }
    }
  })

  it("carries only the id of an erased customer, refusing any of the customer's data", () => {
    const deleted = eventType('CUSTOMER.DELETED')
    expect(deleted?.example).toEqual({ id: 'C-1001' })
    expect(deleted?.data.safeParse({ id: 'C-1001', email: 'ada@example.com' }).success).toBe(false)
  })

  it("checks upstream payloads: the order's id is required, unknown top-level fields are refused, attributes are free", () => {
    const shipped = eventType('ORDER_EVENTS.OMS.ORDER_SHIPPED')?.data
    expect(shipped?.safeParse({ orderId: 'O-1', attributes: { anything: { nested: [1] } } }).success).toBe(true)
    expect(shipped?.safeParse({ attributes: {} }).success).toBe(false)
    expect(shipped?.safeParse({ orderId: 'O-1', orderid: 'typo' }).success).toBe(false)
    expect(eventType('RECEIPTS')?.data.safeParse({ receiptId: 'R-1' }).success).toBe(true)
    expect(eventType('NOTIFICATION.SMS.RECEIPT')?.data.safeParse({ receiptId: 'R-1' }).success).toBe(false)
  })

  it('lets the brand publish exactly the upstream types, and says why any other name cannot be published', () => {
    for (const entry of eventCatalogue) expect(entry.publishable, entry.type).toBe(entry.source === 'upstream')
    expect(publishableEventTypes()).toEqual(expect.arrayContaining(['RECEIPTS', 'NOTIFICATION.SMS.RECEIPT']))
    expect(publishableEventTypes()).toHaveLength(28) // seed 002: 18 OMS, 8 tracking, receipts, SMS receipts
    expect(publishProblem('ORDER_EVENTS.TRACKING.SHIPMENT_DELIVERED')).toBeUndefined()
    expect(publishProblem('CUSTOMER.CREATED')).toMatch(/produced by the platform itself \(ingestion\)/)
    expect(publishProblem('ORDER_EVENTS.TRACKING')).toMatch(/prefix of types, not a type.*ORDER_EVENTS\.TRACKING\./)
    expect(publishProblem('CUSTOMER')).toMatch(/prefix of types the platform produces itself/)
    expect(publishProblem('RECEIPT')).toMatch(/unknown event type "RECEIPT"; publish one of .*ORDER_EVENTS\.OMS\.\*/)
  })

  it('knows only whole types, not prefixes', () => {
    expect(eventType('ORDER_EVENTS.OMS')).toBeUndefined()
    expect(eventType('EXPORTS.DAILY.COMPLETED')?.source).toBe('exports')
  })
})

describe('the event envelope', () => {
  const body = {
    id: '0193a1f2-7c4e-7b2e-9f4d-2a6b8c0d1e2f',
    type: 'CUSTOMER.DELETED',
    timestamp: '2026-11-29T09:15:02.120Z',
    brandId: 'acme',
    data: { id: 'C-1001' },
  }

  it("names the event's id, type, time and brand and carries the payload as data", () => {
    expect(eventEnvelope(eventType('CUSTOMER.DELETED')?.data ?? z.never()).parse(body)).toEqual(body)
  })

  it('refuses a body whose id is not a uuid, whose timestamp is not a UTC instant, or that lacks a field', () => {
    const envelope = eventEnvelope(z.unknown())
    expect(envelope.safeParse({ ...body, id: 'evt-1' }).success).toBe(false)
    expect(envelope.safeParse({ ...body, timestamp: '2026-11-29 09:15' }).success).toBe(false)
    const { brandId: _brand, ...withoutBrand } = body
    expect(envelope.safeParse(withoutBrand).success).toBe(false)
    expect(envelope.safeParse({ ...body, extra: 1 }).success).toBe(false)
  })
})

describe('docs/webhooks.md, its event types section', async () => {
  const doc = await readFile(new URL('../../docs/webhooks.md', import.meta.url), 'utf8')
  const section = doc.slice(doc.indexOf('\n## Event types\n')).split(/\n## (?!Event types)/)[0] ?? ''

  it('lists every catalogue type with its source and description, and nothing else', () => {
    const table = section.split('\n### ').find((part) => part.startsWith('The types\n')) ?? ''
    const rows = [...table.matchAll(/^\| `([^`]+)` *\| (\w+) *\| (.+?) *\|$/gm)].map(
      ([, type, source, description]) => ({
        type,
        source,
        description: description?.replaceAll('\\|', '|'),
      }),
    )
    expect(rows).toEqual(eventCatalogue.map(({ type, source, description }) => ({ type, source, description })))
  })

  it('shows an example body for each source, each valid against the envelope and its type', () => {
    const bodies = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map(([, json]) => JSON.parse(json ?? ''))
    const sources = new Set<string>()
    for (const body of bodies) {
      const entry = eventType(body.type)
      expect(entry, body.type).toBeDefined()
      sources.add(entry?.source ?? '')
      const parsed = eventEnvelope(entry?.data ?? z.never()).safeParse(body)
      expect(parsed.error, body.type).toBeUndefined()
    }
    expect([...sources].sort()).toEqual(['exports', 'ingestion', 'upstream'])
  })
})
