import type { z } from 'zod'
import type { EntityDefinition, ParsedRecord } from '../entity-definition.ts'
import type { EntityType } from '../entity-types.ts'
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

/** The record schemas by entity type. */
export const entitySchemas = {
  customers: customers.schema,
  customer_events: customerEvents.schema,
  transactions: transactions.schema,
  products: products.schema,
  groups: groups.schema,
  outlets: outlets.schema,
} as const satisfies Record<EntityType, z.ZodType>
