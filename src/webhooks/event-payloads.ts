import { z } from 'zod'
import type { ExportCompletedData } from '../exports/export-completed-data.ts'
import type { EntityType } from '../ingest/entity-types.ts'
import { storedEntityResponse } from '../ingest/stored-entity-schemas.ts'

// The `data` of each event family: a zod schema (published in schemas/webhooks/event-types.json,
// and the check on what upstream systems send) and an example that a test validates against it.

const instant = (description: string) => z.iso.datetime({ offset: true }).meta({ description })
const attributes = z
  .record(z.string(), z.unknown())
  .meta({ description: "Anything else the brand's system sends with the event, as it sent it" })

// Seed 002 defines these types but no payload. The brand's upstream systems (order management,
// carrier tracking, point of sale, SMS gateway) publish them through POST /v1/{brandId}/events, so
// the platform fixes only the few fields a receiver needs to find the order, receipt or message;
// strict at the top so that a misspelt field is refused, free below `attributes`.

export const orderEventData = z
  .strictObject({
    orderId: z.string().min(1).meta({ description: "The order's id in the brand's order management system" }),
    customerId: z.string().min(1).optional().meta({ description: "The customer's id, as ingested (customers)" }),
    occurredAt: instant('When it happened in the upstream system, as an ISO instant').optional(),
    status: z.string().optional().meta({ description: "The order's or shipment's status upstream" }),
    carrier: z.string().optional().meta({ description: 'Tracking events: the carrier' }),
    trackingNumber: z.string().optional().meta({ description: "Tracking events: the carrier's tracking number" }),
    attributes: attributes.optional(),
  })
  .meta({ description: 'An order or shipment event, as the upstream system published it' })

export const receiptData = z
  .strictObject({
    receiptId: z.string().min(1).meta({ description: "The receipt's id in the point of sale" }),
    orderId: z.string().min(1).optional(),
    customerId: z.string().min(1).optional().meta({ description: "The customer's id, as ingested (customers)" }),
    occurredAt: instant('When the receipt was issued, as an ISO instant').optional(),
    attributes: attributes.optional(),
  })
  .meta({ description: 'A receipt, as the point of sale published it' })

export const smsReceiptData = z
  .strictObject({
    messageId: z.string().min(1).meta({ description: "The message's id at the SMS gateway" }),
    customerId: z.string().min(1).optional().meta({ description: "The customer's id, as ingested (customers)" }),
    status: z.string().optional().meta({ description: 'The delivery status the gateway reported' }),
    occurredAt: instant('When the gateway reported it, as an ISO instant').optional(),
    attributes: attributes.optional(),
  })
  .meta({ description: 'A delivery receipt of an SMS, as the SMS gateway reported it' })

export const orderEventExample: z.infer<typeof orderEventData> = {
  orderId: 'ORD-100234',
  customerId: 'C-1001',
  occurredAt: '2026-11-29T10:04:00Z',
  status: 'shipped',
  carrier: 'DHL',
  trackingNumber: 'JD014600006281',
  attributes: { warehouse: 'LDS-2' },
}

export const receiptExample: z.infer<typeof receiptData> = {
  receiptId: 'R-2026-000981',
  orderId: 'ORD-100234',
  customerId: 'C-1001',
  occurredAt: '2026-11-29T10:04:00Z',
  attributes: { till: 4, total: '59.90', currency: 'GBP' },
}

export const smsReceiptExample: z.infer<typeof smsReceiptData> = {
  messageId: 'SM8f1c2d',
  customerId: 'C-1001',
  status: 'delivered',
  occurredAt: '2026-11-29T10:04:12Z',
}

// Ingestion change events are thin in the outbox (they name the entity); the delivery renders
// `data` from the entity as it then is, exactly as GET /v1/{brandId}/{entity}/{id} answers it: the
// ingestion feature's own schema of a stored entity.

/** The `data` of `<ENTITY>.CREATED` and `<ENTITY>.UPDATED`. */
export function changedEntityData(type: EntityType) {
  return storedEntityResponse(type).meta({ description: 'The entity as it was when the delivery was first rendered' })
}

export const deletedEntityData = z
  .strictObject({ id: z.string().meta({ description: "The erased customer's id" }) })
  .meta({ description: "Only the id: the customer's data is erased" })

const stored = { source_updated_at: '2026-11-29T09:15:00Z', created_at: '2026-11-29T09:15:02.120Z' }
const updatedAt = '2026-11-29T09:15:02.120Z'
const resolved = (field: string, type: EntityType, id: string) => ({ field, type, id, state: 'resolved' as const })

/** One example entity per type, as the API answers GET /v1/{brandId}/{entity}/{id}. */
export const changedEntityExamples: { [T in EntityType]: z.infer<ReturnType<typeof changedEntityData>> } = {
  customers: {
    entity: {
      id: 'C-1001',
      email: 'ada@example.com',
      phone: '+447700900123',
      first_name: 'Ada',
      last_name: 'Lovelace',
      birth_date: '1990-12-10',
      email_consent: true,
      sms_consent: false,
      attributes: { tier: 'gold' },
      deleted_at: null,
      ...stored,
      updated_at: updatedAt,
    },
    references: [],
  },
  customer_events: {
    entity: {
      id: 'CE-77',
      customer_id: 'C-1001',
      event_type: 'page_view',
      occurred_at: '2026-11-29T09:14:55Z',
      properties: { path: '/shoes' },
      ...stored,
      updated_at: updatedAt,
    },
    references: [resolved('customer_id', 'customers', 'C-1001')],
  },
  transactions: {
    entity: {
      id: 'T-5001',
      customer_id: 'C-1001',
      outlet_id: 'O-12',
      occurred_at: '2026-11-29T09:10:00Z',
      status: 'completed',
      currency: 'GBP',
      total_amount: '59.90',
      items: [{ line_no: 1, sku: 'SKU-1', quantity: '1', unit_price: '59.90', amount: '59.90' }],
      ...stored,
      updated_at: updatedAt,
    },
    references: [
      resolved('customer_id', 'customers', 'C-1001'),
      resolved('outlet_id', 'outlets', 'O-12'),
      { field: 'items.0.sku', type: 'products', id: 'SKU-1', state: 'waiting' },
    ],
  },
  products: {
    entity: {
      id: 'SKU-1',
      name: 'Trail shoe',
      category: 'footwear',
      price: '59.90',
      currency: 'GBP',
      attributes: { colour: 'blue' },
      ...stored,
      updated_at: updatedAt,
    },
    references: [],
  },
  groups: {
    entity: { id: 'G-1', name: 'North', kind: 'region', parent_group_id: null, ...stored, updated_at: updatedAt },
    references: [],
  },
  outlets: {
    entity: {
      id: 'O-12',
      name: 'Leeds Briggate',
      group_id: 'G-1',
      address: '1 Briggate',
      city: 'Leeds',
      country: 'GB',
      ...stored,
      updated_at: updatedAt,
    },
    references: [resolved('group_id', 'groups', 'G-1')],
  },
}

// EXPORTS.DAILY.COMPLETED: its `data` is the exports feature's (export-completed-data.ts).

export const exportCompletedExample: ExportCompletedData = {
  brand_id: 'acme',
  date: '2026-11-29',
  timezone: 'Europe/London',
  manifest_path: 'acme/_manifests/dt=2026-11-29.json',
  files: [
    {
      file_type: 'campaigns',
      path: 'acme/campaigns/dt=2026-11-29/campaigns.csv.gz',
      rows: 12,
      bytes: 1873,
      sha256: '9f2c4e1b7a3d5f60812c9e4b7d1a3f5e6c8b0a2d4f6e8c1a3b5d7f9e0c2a4b6d',
    },
  ],
}
