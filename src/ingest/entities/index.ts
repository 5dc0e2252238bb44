import type { z } from 'zod'
import type { EntityDefinition, ParsedRecord } from '../entity-definition.ts'
import { type EntityType, entityTypes } from '../entity-types.ts'
import { customers } from './customer.ts'
import { customerEvents } from './customer-event.ts'
import { groups } from './group.ts'
import { outlets } from './outlet.ts'
import { products } from './product.ts'
import { transactions } from './transaction.ts'

/** Every ingested entity type. Adding one: a module here and a line in this registry. */
export const entities: Record<EntityType, EntityDefinition<ParsedRecord>> = {
  customers,
  customer_events: customerEvents,
  transactions,
  products,
  groups,
  outlets,
} as unknown as Record<EntityType, EntityDefinition<ParsedRecord>>

/**
 * The definition of the entity type named `type` (as an outbox event names it), or undefined when
 * no entity type has that name (`export_runs`, `toString`).
 */
export function entityDefinition(type: string): EntityDefinition<ParsedRecord> | undefined {
  return (entityTypes as readonly string[]).includes(type) ? entities[type as EntityType] : undefined
}

/** The record schemas by entity type. */
export const entitySchemas = {
  customers: customers.schema,
  customer_events: customerEvents.schema,
  transactions: transactions.schema,
  products: products.schema,
  groups: groups.schema,
  outlets: outlets.schema,
} as const satisfies Record<EntityType, z.ZodType>
