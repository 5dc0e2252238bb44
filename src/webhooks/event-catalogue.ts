import type { z } from 'zod'
import { exportCompletedData } from '../exports/export-completed-data.ts'
import { exportCompletedEventType } from '../exports/export-runs.ts'
import { entities } from '../ingest/entities/index.ts'
import {
  changedEntityData,
  changedEntityExamples,
  deletedEntityData,
  exportCompletedExample,
  orderEventData,
  orderEventExample,
  receiptData,
  receiptExample,
  smsReceiptData,
  smsReceiptExample,
} from './event-payloads.ts'

/**
 * Every event type a webhook can subscribe to. Types are hierarchical, dot-separated:
 * `ORDER_EVENTS.OMS.ORDER_SHIPPED` is below `ORDER_EVENTS.OMS` and `ORDER_EVENTS`, and a webhook
 * subscribed to a prefix receives every type below it.
 */
export interface EventTypeDefinition {
  readonly type: string
  /** Who produces it: a brand's upstream systems (POST /v1/{brandId}/events), ingestion, exports. */
  readonly source: 'upstream' | 'ingestion' | 'exports'
  /**
   * Whether the brand's systems may publish it through POST /v1/{brandId}/events: only the types
   * no part of the platform produces (the upstream ones). The platform's own (ingestion's change
   * events, the export event) are refused there, so that no caller can forge them.
   */
  readonly publishable: boolean
  /** What happened, and who sends it. */
  readonly description: string
  /** The shape of the envelope's `data`. */
  readonly data: z.ZodType
  /** An example `data`, valid against `data`. */
  readonly example: unknown
}

// Seed 002's enum (the flexEngage Webhooks API), with what each means: published by the brand's
// upstream systems through POST /v1/{brandId}/events.
const orderManagementTypes = {
  ORDER_CONFIRMED: 'an order was confirmed',
  ORDER_SHIPPED: 'an order, or part of it, was shipped',
  ORDER_CANCELLED: 'an order was cancelled',
  ORDER_FTC_DELAYED: 'an order is delayed (a US FTC delay notice is due)',
  ORDER_RETURN_RECEIVED: 'a return was received',
  ORDER_RETURN_REQUESTED: 'a return was requested',
  ORDER_BACK_ORDERED: 'an order item was back-ordered',
  ORDER_COMPLETED: 'an order was completed',
  ORDER_CREDIT_ISSUED: 'a credit or refund was issued for an order',
  ORDER_PICKUP_READY: 'an order is ready for pickup in store',
  ORDER_PICKUP_COMPLETED: 'an order was picked up',
  ORDER_PICKUP_REMINDED: 'the shopper was reminded to pick up an order',
  ORDER_PICKUP_SHOPPER_ARRIVED: 'the shopper arrived to pick up an order',
  ORDER_PICKUP_SHOPPER_CONFIRMED: 'the shopper confirmed a pickup',
  ORDER_PICKUP_SHOPPER_IN_TRANSIT: 'the shopper is on the way to pick up an order',
  ORDER_PICKUP_DELAYED: 'a pickup is delayed',
  ORDER_SHIPMENT_UPDATED: "an order's shipment changed",
  UNKNOWN: 'an order management event of no other type',
} as const

const trackingTypes = {
  SHIPMENT_PRE_TRANSIT: 'a shipment label exists, the carrier does not have it yet',
  SHIPMENT_IN_TRANSIT: 'a shipment is on its way',
  SHIPMENT_OUT_FOR_DELIVERY: 'a shipment is out for delivery',
  SHIPMENT_DELIVERED: 'a shipment was delivered',
  SHIPMENT_AVAILABLE_FOR_PICKUP: 'a shipment waits at a pickup point',
  SHIPMENT_RETURNED_TO_SENDER: 'a shipment is going back to the sender',
  SHIPMENT_FAILURE: 'a delivery attempt failed',
  UNKNOWN: 'a carrier tracking event of no other type',
} as const

const upstream = (type: string, description: string, data: z.ZodType, example: unknown): EventTypeDefinition => ({
  type,
  source: 'upstream',
  publishable: true,
  description,
  data,
  example,
})

const changes = { CREATED: 'created', UPDATED: 'changed' } as const

/** The catalogue: seed 002's types, the ingestion change events, and the export-completed event. */
export const eventCatalogue: readonly EventTypeDefinition[] = [
  upstream(
    'NOTIFICATION.SMS.RECEIPT',
    "An SMS's delivery receipt; the brand's SMS gateway sends it",
    smsReceiptData,
    smsReceiptExample,
  ),
  ...Object.entries(orderManagementTypes).map(([name, what]) =>
    upstream(
      `ORDER_EVENTS.OMS.${name}`,
      `${capitalised(what)}; the brand's order management system sends it`,
      orderEventData,
      orderEventExample,
    ),
  ),
  ...Object.entries(trackingTypes).map(([name, what]) =>
    upstream(
      `ORDER_EVENTS.TRACKING.${name}`,
      `${capitalised(what)}; the brand's carrier tracking integration sends it`,
      orderEventData,
      orderEventExample,
    ),
  ),
  upstream('RECEIPTS', "A receipt was issued; the brand's point of sale sends it", receiptData, receiptExample),
  ...Object.values(entities).flatMap((entity): EventTypeDefinition[] => [
    ...Object.entries(changes).map(([change, what]) => ({
      type: `${entity.eventPrefix}.${change}`,
      source: 'ingestion' as const,
      publishable: false,
      description: `A ${entity.type} record was ${what} through ingestion (API or file); data is the entity as stored`,
      data: changedEntityData(entity.type),
      example: changedEntityExamples[entity.type],
    })),
    // Only customers are erased (DELETE /v1/{brandId}/customers/{id}); other entities are never deleted.
    ...(entity.type === 'customers'
      ? [
          {
            type: `${entity.eventPrefix}.DELETED`,
            source: 'ingestion' as const,
            publishable: false,
            description: 'A customer was erased (DELETE /v1/{brandId}/customers/{id}); data is its id only',
            data: deletedEntityData,
            example: { id: 'C-1001' },
          },
        ]
      : []),
  ]),
  {
    type: exportCompletedEventType,
    source: 'exports',
    publishable: false,
    description:
      "A brand-day's export is complete: the platform sends it when the day's manifest is written (flex export, flex backfill, flex schedule)",
    data: exportCompletedData,
    example: exportCompletedExample,
  },
]

function capitalised(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`
}

/**
 * The type of the test button's event (POST /v1/{brandId}/webhooks/{id}/test, test-event.ts),
 * deliberately outside the catalogue: no webhook subscribes to it and nobody can publish it, so
 * subscriptionProblem and publishProblem refuse it like any unknown type.
 */
export const testEventType = 'WEBHOOK.TEST'

/** The catalogue's definition of a type, or undefined when it is not a type (a prefix, or unknown). */
export function eventType(type: string): EventTypeDefinition | undefined {
  return byType.get(type)
}

const byType = new Map(eventCatalogue.map((e) => [e.type, e]))
const knownTypes = new Set(byType.keys())

/**
 * Why a type cannot be published through POST /v1/{brandId}/events (unknown, a prefix of types,
 * or one the platform produces itself), or undefined when it can.
 */
export function publishProblem(type: string): string | undefined {
  const definition = byType.get(type)
  if (definition?.publishable) return undefined
  if (definition !== undefined) {
    return `${type} is produced by the platform itself (${definition.source}) and cannot be published; publish one of ${publishableTypes}`
  }
  if (subscriptionProblem(type) === undefined) {
    const below = eventCatalogue.find((e) => e.publishable && subscriptionCovers(type, e.type))
    return below === undefined
      ? `${type} is a prefix of types the platform produces itself; publish one of ${publishableTypes}`
      : `${type} is a prefix of types, not a type: publish one type below it, such as ${below.type}`
  }
  return `unknown event type "${type}"; publish one of ${publishableTypes} (docs/webhooks.md, schemas/webhooks/event-types.json)`
}

/** Every type the brand's systems may publish (POST /v1/{brandId}/events), in catalogue order. */
export function publishableEventTypes(): string[] {
  return eventCatalogue.filter((e) => e.publishable).map((e) => e.type)
}

/** The publishable types in short: a parent with several types below it as `PARENT.*`. */
const publishableTypes = (() => {
  const types = publishableEventTypes()
  const parent = (type: string) => type.slice(0, Math.max(0, type.lastIndexOf('.')))
  const shared = (type: string) => parent(type) !== '' && types.filter((t) => parent(t) === parent(type)).length > 1
  return [...new Set(types.map((t) => (shared(t) ? `${parent(t)}.*` : t)))].join(', ')
})()

/** Whether a subscription (a type, or a prefix of types) covers an event type. */
export function subscriptionCovers(subscription: string, eventType: string): boolean {
  return eventType === subscription || eventType.startsWith(`${subscription}.`)
}

/** Why a subscription names no event type (neither a type nor a prefix of one), or undefined. */
export function subscriptionProblem(subscription: string): string | undefined {
  if (knownTypes.has(subscription)) return undefined
  for (const type of knownTypes) if (subscriptionCovers(subscription, type)) return undefined
  return `unknown event type "${subscription}": use a type or a prefix of types from the catalogue (docs/webhooks.md, schemas/webhooks/event-types.json)`
}
