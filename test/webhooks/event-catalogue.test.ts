import { describe, expect, it } from 'vitest'
import { eventCatalogue, subscriptionCovers, subscriptionProblem } from '../../src/webhooks/event-catalogue.ts'

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
})
