import { entities } from '../ingest/entities/index.ts'

/**
 * Every event type a webhook can subscribe to. Types are hierarchical, dot-separated:
 * `ORDER_EVENTS.OMS.ORDER_SHIPPED` is below `ORDER_EVENTS.OMS` and `ORDER_EVENTS`, and a webhook
 * subscribed to a prefix receives every type below it.
 */
export interface EventTypeDefinition {
  readonly type: string
  /** Who produces it: a brand's upstream systems (POST /v1/{brandId}/events), ingestion, exports. */
  readonly source: 'upstream' | 'ingestion' | 'exports'
  readonly description: string
}

// Seed 002's enum (the flexEngage Webhooks API): published by the brand's upstream systems.
const upstreamTypes = [
  'NOTIFICATION.SMS.RECEIPT',
  'ORDER_EVENTS.OMS.ORDER_CONFIRMED',
  'ORDER_EVENTS.OMS.ORDER_SHIPPED',
  'ORDER_EVENTS.OMS.ORDER_CANCELLED',
  'ORDER_EVENTS.OMS.ORDER_FTC_DELAYED',
  'ORDER_EVENTS.OMS.ORDER_RETURN_RECEIVED',
  'ORDER_EVENTS.OMS.ORDER_RETURN_REQUESTED',
  'ORDER_EVENTS.OMS.ORDER_BACK_ORDERED',
  'ORDER_EVENTS.OMS.ORDER_COMPLETED',
  'ORDER_EVENTS.OMS.ORDER_CREDIT_ISSUED',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_READY',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_COMPLETED',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_REMINDED',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_SHOPPER_ARRIVED',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_SHOPPER_CONFIRMED',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_SHOPPER_IN_TRANSIT',
  'ORDER_EVENTS.OMS.ORDER_PICKUP_DELAYED',
  'ORDER_EVENTS.OMS.ORDER_SHIPMENT_UPDATED',
  'ORDER_EVENTS.OMS.UNKNOWN',
  'ORDER_EVENTS.TRACKING.SHIPMENT_PRE_TRANSIT',
  'ORDER_EVENTS.TRACKING.SHIPMENT_IN_TRANSIT',
  'ORDER_EVENTS.TRACKING.SHIPMENT_OUT_FOR_DELIVERY',
  'ORDER_EVENTS.TRACKING.SHIPMENT_DELIVERED',
  'ORDER_EVENTS.TRACKING.SHIPMENT_AVAILABLE_FOR_PICKUP',
  'ORDER_EVENTS.TRACKING.SHIPMENT_RETURNED_TO_SENDER',
  'ORDER_EVENTS.TRACKING.SHIPMENT_FAILURE',
  'ORDER_EVENTS.TRACKING.UNKNOWN',
  'RECEIPTS',
] as const

/** The catalogue: seed 002's types, the ingestion change events, and the export-completed event. */
export const eventCatalogue: readonly EventTypeDefinition[] = [
  ...upstreamTypes.map((type) => ({
    type,
    source: 'upstream' as const,
    description: `${type}, published by the brand's own systems through POST /v1/{brandId}/events`,
  })),
  ...Object.values(entities).flatMap((entity) =>
    (entity.type === 'customers' ? ['CREATED', 'UPDATED', 'DELETED'] : ['CREATED', 'UPDATED']).map((change) => ({
      type: `${entity.eventPrefix}.${change}`,
      source: 'ingestion' as const,
      description: `A ${entity.type} record was ${change.toLowerCase()} through ingestion`,
    })),
  ),
  {
    type: 'EXPORTS.DAILY.COMPLETED',
    source: 'exports',
    description: "A brand-day's export is complete: its manifest is written",
  },
]

const knownTypes = new Set(eventCatalogue.map((e) => e.type))

/** Whether a subscription (a type, or a prefix of types) covers an event type. */
export function subscriptionCovers(subscription: string, eventType: string): boolean {
  return eventType === subscription || eventType.startsWith(`${subscription}.`)
}

/** Why a subscription names no event type (neither a type nor a prefix of one), or undefined. */
export function subscriptionProblem(subscription: string): string | undefined {
  if (knownTypes.has(subscription)) return undefined
  for (const type of knownTypes) if (subscriptionCovers(subscription, type)) return undefined
  return `unknown event type "${subscription}": use a type or a prefix of types from the catalogue (GET /webhooks/event-types)`
}
