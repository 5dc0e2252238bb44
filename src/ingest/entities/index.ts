import type { z } from 'zod'
import { customerSchema } from './customer.ts'
import { customerEventSchema } from './customer-event.ts'
import { groupSchema } from './group.ts'
import { outletSchema } from './outlet.ts'
import { productSchema } from './product.ts'
import { transactionSchema } from './transaction.ts'

/** The six ingested entity types, by the name used in URLs and on the command line. */
export const entitySchemas = {
  customers: customerSchema,
  customer_events: customerEventSchema,
  transactions: transactionSchema,
  products: productSchema,
  groups: groupSchema,
  outlets: outletSchema,
} as const satisfies Record<string, z.ZodType>

export type EntityType = keyof typeof entitySchemas
